"""The database state after the maintenance role ran against the molecule instance."""


def psql(host, sql):
    # testinfra quotes each argument given after the command template.
    return host.check_output("psql -X -A -t -U mirrorbuddy -d mirrorbuddy -c %s", sql).strip()


def test_messages_were_vacuumed_and_analyzed(host):
    row = psql(host, "SELECT last_vacuum IS NOT NULL, last_analyze IS NOT NULL, n_dead_tup "
                     "FROM pg_stat_user_tables WHERE relname = 'messages'")

    assert row == "t|t|0"


def test_hstore_was_upgraded_to_default_version(host):
    assert psql(host, "SELECT extversion FROM pg_extension WHERE extname = 'hstore'") == "1.8"
