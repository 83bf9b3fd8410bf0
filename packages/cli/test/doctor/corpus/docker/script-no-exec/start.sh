#!/bin/sh
set -e
node migrate.js
echo "starting"
node server.js
