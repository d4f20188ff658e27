"""The writer lock between threads of one process (web requests); between processes see test_reliability."""
import threading

import pytest

from visearch.storage.writer_lock import LibraryBusyError, WriterLock


def test_one_thread_may_nest_another_waits_or_is_refused(tmp_path):
    lock = WriterLock(tmp_path / "writer.lock")
    outcome = []

    def other(wait):
        try:
            with lock.hold(wait):
                outcome.append("got it")
        except LibraryBusyError as error:
            outcome.append(str(error))

    with lock.hold():
        with lock.hold():
            assert "pid" in (tmp_path / "writer.lock").read_text()
        thread = threading.Thread(target=other, args=(0.1,))
        thread.start()
        thread.join()
    assert "another request is writing" in outcome[0]
    thread = threading.Thread(target=other, args=(1.0,))
    thread.start()
    thread.join()
    assert outcome[1] == "got it"


def test_a_failed_acquire_leaves_the_lock_free(tmp_path):
    import fcntl

    lock = WriterLock(tmp_path / "writer.lock")
    with open(tmp_path / "writer.lock", "a+") as other_process:  # another open file description: another holder
        fcntl.flock(other_process, fcntl.LOCK_EX)
        with pytest.raises(LibraryBusyError):
            with lock.hold(0.2):
                pass
    with lock.hold():
        pass
