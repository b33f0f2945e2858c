#!/bin/sh
# The image's entry point: bring the database schema up to date, then become the given command
# (`charterdesk bot` by default), so signals reach it directly and `docker stop` is a clean stop.
set -e
charterdesk migrate
exec "$@"
