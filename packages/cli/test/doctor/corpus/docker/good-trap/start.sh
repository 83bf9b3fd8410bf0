#!/bin/sh
node server.js &
child=$!
trap 'kill -TERM "$child"' TERM INT
wait "$child"
