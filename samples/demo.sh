#!/bin/sh
# `make demo`: the main job on the bundled samples, with the embedded SQLite default.
#
# Usage: sh samples/demo.sh PATH/TO/enroll834
#
# Builds a fresh ./demo/ (database, configuration, drop folder), copies a few
# samples into the inbox (plus a re-sent duplicate and a broken file), runs the
# drop folder once, then shows the summary, the review queue, one member's
# history and a 999. Needs no interaction; everything stays inside ./demo/.
set -eu

E="${1:?usage: sh samples/demo.sh PATH/TO/enroll834}"
case "$E" in /*) ;; *) E="$(pwd)/$E" ;; esac
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEMO="$ROOT/demo"
INBOX="$DEMO/drop/inbox"

# Only this demo's settings: no database, user or config from the caller's environment.
unset ENROLL834_DATABASE_URL ENROLL834_USER ENROLL834_ACCESS_CODE ENROLL834_ACCESS_CODE_FILE \
      ENROLL834_CRASH_AT 2>/dev/null || true

rm -rf "$DEMO"
mkdir -p "$INBOX"
cat > "$DEMO/enroll834.toml" <<EOF
# The demo's configuration (README.md, "Configuration", lists every key).
database_url = "sqlite:///$DEMO/enroll834.db"

[drops]
settle_seconds = 0        # the demo copies its files in before running: nothing is half-written

[[partners]]              # the sender of the bundled samples
sender_qualifier = "ZZ"
sender_id = "991234567"
name = "Acme Tool and Die HR (synthetic)"
# The samples carry fixed 2026 dates: widen the retro/future window so they apply now.
retro_days = 36500
future_days = 3650
EOF
export ENROLL834_CONFIG="$DEMO/enroll834.toml"

say() { printf '\n== %s\n' "$*"; }

say "1. create the database and its administrator"
ADMIN_JSON="$("$E" init --admin demo-admin --json)"
CODE="$(printf '%s' "$ADMIN_JSON" | sed -n 's/.*"access_code": *"\([^"]*\)".*/\1/p')"
[ -n "$CODE" ] || { echo "demo: init printed no access code" >&2; exit 1; }
export ENROLL834_USER=demo-admin ENROLL834_ACCESS_CODE="$CODE"
echo "administrator demo-admin created (access code kept in this shell only)"

say "2. a sample parsed (enroll834 parse: one line per member; --json for the full records)"
"$E" parse "$ROOT/samples/family-enrollment.edi" | head -n 6
echo "--- the first member as JSON (synthetic people only), first lines"
"$E" parse --json "$ROOT/samples/family-enrollment.edi" | head -n 1 | cut -c1-400

say "3. a small drop: four sample files, one re-sent under a new name, one broken"
for f in family-enrollment.edi change-file-mixed.edi bad-member.edi multi-interchange.edi; do
  cp "$ROOT/samples/$f" "$INBOX/$f"
done
cp "$ROOT/samples/family-enrollment.edi" "$INBOX/family-enrollment-resent.edi"
printf 'this is not an 834\n' > "$INBOX/broken.edi"
ls "$INBOX"

say "4. enroll834 drops run --once   (summary on stdout; exit 1 = something was rejected)"
rc=0
"$E" --quiet drops run "$INBOX" --once || rc=$?
[ "$rc" -le 1 ] || { echo "demo: drops run failed with exit $rc" >&2; exit "$rc"; }
echo "--- where the files went"
(cd "$DEMO/drop" && find archive quarantine outbox -type f | sort)

say "5. the review queue (first lines)"
"$E" review list | head -n 8

say "6. one member's history"
MEMBER="$("$E" members export | head -n 1 | sed -n 's/.*"member_id": *"\([^"]*\)".*/\1/p')"
echo "member $MEMBER"
"$E" ledger history "$MEMBER"

say "7. the 999 sent back for bad-member.edi (member 4 rejected: IK3/IK4)"
cat "$DEMO/drop/outbox/"bad-member.edi.*.999

say "8. the quarantine reason for broken.edi"
cat "$DEMO/drop/quarantine/no_interchange/broken.edi.reason.txt"

printf '\nDone. Everything is in %s; run it again any time (it starts afresh).\n' "$DEMO"
