#!/bin/bash
# prepare, then hand over
export NODE_ENV=production
exec npm start
