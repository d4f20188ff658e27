"""Where things are kept: the library folder, the store protocols and their SQLite, Elasticsearch and FAISS
backends, and moving a library between them."""
