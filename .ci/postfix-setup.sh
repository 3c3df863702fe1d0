#!/usr/bin/env bash
# What a fresh Debian (12, bookworm) machine needs for the end-to-end tests that run a private Postfix
# (test/helpers/postfix.ts). Run as root, non-interactive; safe to run again.
#
# - installs postfix (the MTA the tests drive) and swaks (handy for poking at it by hand), with debconf
#   preseeded to "No configuration": the package then neither writes a site config nor starts a system
#   instance that would own port 25 (one that does is harmless too: the tests use their own directories and ports);
# - makes sure /etc/postfix/main.cf exists and lists the harness's fixed instance config directories in
#   alternate_config_directories. Without that, `sendmail -C DIR` run by a non-root user (and the set-gid
#   postdrop it calls) refuses DIR with "unauthorized configuration directory name". The names must match
#   alternateConfigDirectories() in test/helpers/postfix.ts.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "postfix-setup.sh: must run as root" >&2
  exit 1
fi

SLOT_BASE=/var/tmp/bounce-origin-postfix
SLOT_COUNT=8

if ! command -v postfix >/dev/null 2>&1 || ! command -v swaks >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  echo "postfix postfix/mailname string internal-mta.example.test" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postfix swaks >/dev/null
fi

# "No configuration" leaves no main.cf; postconf -e needs one to edit.
if [ ! -f /etc/postfix/main.cf ]; then
  printf '# Created by bounce-origin .ci/postfix-setup.sh; the system instance stays unconfigured.\ncompatibility_level = 3.6\n' \
    > /etc/postfix/main.cf
fi

dirs=""
for i in $(seq 0 $((SLOT_COUNT - 1))); do
  dirs="${dirs:+$dirs, }$SLOT_BASE/slot$i/etc"
done
current="$(postconf -c /etc/postfix -h alternate_config_directories 2>/dev/null || true)"
if [ "$current" != "$dirs" ]; then
  postconf -c /etc/postfix -e "alternate_config_directories = $dirs"
fi

install -d -m 0755 "$SLOT_BASE"
echo "postfix-setup.sh: $(postconf -h mail_version 2>/dev/null | sed 's/^/postfix /'), alternate_config_directories set for $SLOT_COUNT slots under $SLOT_BASE"
