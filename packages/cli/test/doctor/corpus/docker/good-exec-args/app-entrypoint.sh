#!/bin/sh
set -e
if [ -n "$WAIT_FOR_DB" ]; then node wait-for-db.js; fi
exec "$@"
