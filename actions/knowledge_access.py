"""One knowledge base and advisor per action-server process, opened on first use (not at
import), and built from the fact files if the database is still empty."""

from __future__ import annotations

import logging
import threading

from bot import settings
from knowledge.advice import Advisor
from knowledge.queries import KnowledgeBase, KnowledgeUnavailable

logger = logging.getLogger(__name__)
_lock = threading.Lock()
_advisor: Advisor | None = None


def advisor() -> Advisor:
    global _advisor
    if _advisor is None:
        with _lock:
            if _advisor is None:
                url = settings.database_url()
                kb = KnowledgeBase(url)
                try:
                    kb.snapshot()
                except KnowledgeUnavailable:
                    from knowledge.loader import KnowledgeError, load

                    try:
                        report = load(url)
                    except KnowledgeError as error:
                        raise KnowledgeUnavailable(str(error)) from error
                    logger.info(
                        "built the knowledge base from the fact files in %.2f s", report.seconds
                    )
                    kb.snapshot()
                _advisor = Advisor(kb)
    return _advisor


def reset() -> None:
    """Forget the cached advisor (tests point DATABASE_URL elsewhere between runs)."""
    global _advisor
    with _lock:
        _advisor = None
