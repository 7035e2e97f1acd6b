"""The index on disk and in a serving process: the schema, the one stored-section record
written and read back (`sections`), the directory with its lock and
atomic swap (`store`), full and incremental builds (`build`, `parallel`), the completion
entries each build keeps for the search box (`completions`), the guard against
shrinking it by accident (`shrink`), embedding its sections (`embedding`), the definitions
its laws give (`definitions`) and the live, refreshed view a server searches (`live`).
Imports every package below it: `ingest`, `engine`, `vectors`, `rank`, `text`.
"""
