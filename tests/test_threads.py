from __future__ import annotations

import os

from search.threads import helper_thread


def test_a_helper_thread_made_before_a_fork_works_in_the_child() -> None:
    """A server loads in its parent and forks workers: a pool's thread stays behind."""
    assert helper_thread("test").submit(int, "1").result() == 1
    child = os.fork()
    if child == 0:
        try:
            answered = helper_thread("test").submit(int, "2").result(timeout=5) == 2
        except BaseException:
            answered = False
        os._exit(0 if answered else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
