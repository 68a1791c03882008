#!/bin/sh
test -s /srv/shop/VERSION
