"""누끼: lifting a product or a person off its background."""
