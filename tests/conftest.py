import os

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
