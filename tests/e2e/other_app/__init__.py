"""An app that is not the demo: an inventory API and its restock worker, one service
(``inventory``) with two scrape jobs (``api``, ``worker``), and its own knobs file."""
