"""The joint negotiation workspace: a server where delegations draft in private, agree the line section
by section, and nobody can rewrite history.

* :mod:`~delimit.workspace.db` - the database (SQLite in a folder or PostgreSQL by URL), one transaction per write;
* :mod:`~delimit.workspace.models`, ``migrations/`` - the tables (SQLAlchemy 2) and their Alembic migrations;
* :mod:`~delimit.workspace.events` - the append-only log chained by SHA-256, and its verification;
* :mod:`~delimit.workspace.auth` - roles, argon2 password hashes, session and token secrets, log-in rate limit;
* :mod:`~delimit.workspace.documents` - validation of drafts (scenario YAML + GeoJSON) and section lines;
* :mod:`~delimit.workspace.sections` - a section's way from negotiation to demarcation;
* :mod:`~delimit.workspace.service` - what the workspace does, with visibility decided in one place;
* :mod:`~delimit.workspace.evaluation` - engine evaluations in the background, cached by scenario hash;
* :mod:`~delimit.workspace.admin` - init, verify, export (ZIP archive), sections from the treaty engine;
* :mod:`~delimit.workspace.app` - the FastAPI application ``delimit serve`` runs.

It is an interface in the architecture's sense: it loads scenarios and calls the engines
(:func:`delimit.impact.compare`, :mod:`delimit.treaty`), never the other way round.
"""
