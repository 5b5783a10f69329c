#!/bin/bash
# The checks of `make test-systemd`, run as root inside the booted container (tests/systemd/run.sh)
# with the working tree bound read-only at /src/tastebud. Installs tastebud as README.md's
# "Running under systemd" says, serves a loopback feed, and prints PASS/FAIL per check; the exit
# status is the number of failed checks (0: all passed).
set -u
export LANG=C.UTF-8
PORT=${TASTEBUD_TEST_PORT:-47613}
WEB_PORT=${TASTEBUD_TEST_WEB_PORT:-8398}
FEED=http://127.0.0.1:$PORT
VENV=/opt/tastebud/.venv
CFG=/etc/tastebud/config.toml
DB=/var/lib/tastebud/tastebud.db
FAILED=0
T0=$(date +%s)

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; FAILED=$((FAILED + 1)); }
info() { echo "     $*"; }
show() { systemctl show "$1" -p "$2" --value; }
journal() {  # UNIT SINCE [LINES [PATTERN]]
  journalctl -u "$1" -o cat --no-pager --since "@$2" | grep -i -- "${4:-}" | tail -n "${3:-15}" | sed 's/^/     | /'
}
elapsed() { echo "$(( $(date +%s) - T0 )) s"; }
# the working tree over a fresh clone: uncommitted changes are tested too
overlay() {
  (cd /src/tastebud && git ls-files -z -co --exclude-standard | grep -zv '^\.venv$' \
    | tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -C "$1" -xf -
}
# what the runs table and the embeddings say, read-only, as the database's owner
probe() {  # USER DB
  runuser -u "$1" -- "${3:-$VENV}/bin/python" - "$2" <<'PY'
import sqlite3, sys
try:
    db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=10)
    runs = dict(((j, s), n) for j, s, n in db.execute(
        "SELECT job, status, count(*) FROM runs GROUP BY job, status"))
    emb = db.execute("SELECT count(*) FROM embeddings").fetchone()[0]
    models = db.execute("SELECT count(*) FROM models").fetchone()[0]
except sqlite3.Error as exc:
    print(f"unreadable: {exc}")
    sys.exit(1)
text = " ".join(f"{j}={s}x{n}" for (j, s), n in sorted(runs.items()))
print(f"embedded={emb} models={models} runs: {text}")
ok = runs.get(("fetch", "ok")) and (runs.get(("train", "ok")) or runs.get(("train", "skipped")))
sys.exit(0 if ok and emb > 0 else 1)
PY
}
# the web page and its API over loopback HTTP, as the daemon inside the unit serves them
web_check() {  # NAME
  local out
  if out=$(python3 - "http://127.0.0.1:$WEB_PORT" 2>&1 <<'PY'
import json, sys, urllib.request
base = sys.argv[1]
page = urllib.request.urlopen(base + "/", timeout=20).read().decode()
queue = json.load(urllib.request.urlopen(base + "/api/queue?limit=5", timeout=20))
status = json.load(urllib.request.urlopen(base + "/api/status", timeout=20))
js = urllib.request.urlopen(base + "/static/app.js", timeout=20)
assert 'name="tastebud-page"' in page, "the page has no page token"
assert "default-src 'none'" in js.headers["Content-Security-Policy"], "no CSP"
assert status["daemon"]["running"], "status says the daemon is not running"
print(f"page {len(page)} bytes, queue {len(queue)} rows shown, {status['ranking']}")
PY
  ); then
    pass "$1: $out"
  else
    fail "$1" "$(tail -1 <<<"$out")"
  fi
}
wait_cycle() {  # NAME USER DB [VENV]
  local out
  for _ in $(seq 100); do
    out=$(probe "$2" "$3" "${4:-$VENV}" 2>&1) && { pass "$1 (after $(elapsed)): $out"; return 0; }
    sleep 3
  done
  fail "$1" "no completed fetch and train with embeddings within 300 s: $out"
  return 1
}
test_config() {  # STORAGE_DIR CACHE_DIR
  cat <<TOML
# tastebud under systemd, test configuration (tests/systemd/inside.sh)
[storage]
dir = "$1"
cache_dir = "$2"

[[history]]
type = "listenbrainz-export"
path = "/srv/tbfeed/history.jsonl"

[[feeds]]
type = "url"
name = "loopback"
url = "$FEED/feed.rss"
max_items = 50

[fetch]
min_duration_s = 10.0
host_delay_s = 0.0
sleep_requests_s = 0.0
batch_size = 50
retry_base_s = 5.0

[model]
patches = 4
steps = 20
min_labels = 3

[schedule]
history_minutes = 0.1
feeds_minutes = 0.1
fetch_minutes = 0.1
train_minutes = 0.2
playlists_minutes = 0.2
shutdown_timeout_s = 20.0

[[playlists]]
name = "tastebud"
format = "m3u8"

[daemon]
log_level = "INFO"

[web]
enabled = true
listen = "127.0.0.1:$WEB_PORT"
TOML
}

echo "== install as README.md says ($(systemctl --version | head -1))"
useradd --system --home-dir /var/lib/tastebud --shell /usr/sbin/nologin tastebud
git clone -q /src/tastebud /opt/tastebud && overlay /opt/tastebud \
  || { fail "install" "git clone /src/tastebud /opt/tastebud"; exit "$FAILED"; }
if (cd /opt/tastebud && make venv) >/var/tmp/make-venv.log 2>&1; then
  pass "install: make venv in /opt/tastebud (after $(elapsed))"
else
  fail "install" "make venv in /opt/tastebud failed:"; tail -20 /var/tmp/make-venv.log; exit "$FAILED"
fi
install -d -m 0750 -g tastebud /etc/tastebud
install -d -m 0700 /etc/tastebud/credentials
install -m 0640 -g tastebud /opt/tastebud/config.toml "$CFG"
echo -n 'YOUR-LISTENBRAINZ-TOKEN' >/etc/tastebud/credentials/listenbrainz_token
test_config /var/lib/tastebud /var/cache/tastebud >"$CFG"   # "then edit it"
cp /opt/tastebud/systemd/tastebud.service /etc/systemd/system/
systemctl daemon-reload

echo "== a loopback feed of real audio on $FEED"
if ! python3 -c "import socket; socket.create_server(('127.0.0.1', $PORT)).close()" 2>/dev/null; then
  fail "feed" "127.0.0.1:$PORT is taken (set TASTEBUD_TEST_PORT)"; exit "$FAILED"
fi
install -d /srv/tbfeed
"$VENV/bin/python" /opt/tastebud/tests/systemd/make_feed.py /srv/tbfeed "$FEED" \
  || { fail "feed" "make_feed.py could not write the tracks"; exit "$FAILED"; }
systemd-run -q --unit=tbfeed -p DynamicUser=yes \
  python3 -m http.server "$PORT" --bind 127.0.0.1 --directory /srv/tbfeed
for _ in $(seq 20); do python3 -c "import urllib.request as u; u.urlopen('$FEED/feed.rss')" 2>/dev/null && break; sleep 0.5; done
if python3 -c "import urllib.request as u; u.urlopen('$FEED/feed.rss')" 2>/dev/null; then
  pass "feed: $(ls /srv/tbfeed/audio | wc -l) tracks and feed.rss served on $FEED"
else
  fail "feed" "the loopback server (unit tbfeed) does not answer"; exit "$FAILED"
fi

echo "== system unit tastebud.service"
T=$(date +%s)
if timeout 120 systemctl enable -q --now tastebud; then
  st=$(show tastebud ActiveState); text=$(show tastebud StatusText)
  if [ "$st" = active ] && [ -n "$text" ]; then   # Type=notify: active only after READY=1
    pass "start: ActiveState=$st after READY=1, StatusText=$text"
  else
    fail "start" "ActiveState=$st StatusText=$text"; journal tastebud "$T"
  fi
else
  fail "start" "systemctl enable --now tastebud failed ($(show tastebud Result))"; journal tastebud "$T" 25
fi
# torch in the unit's sandbox (its [Service] settings but the daemon's own) against torch outside
SANDBOX=()
while IFS= read -r line; do SANDBOX+=(-p "$line"); done < <(
  sed -n '/^\[Service\]/,/^\[/p' /etc/systemd/system/tastebud.service | grep -E '^[A-Z][A-Za-z]+=' \
    | grep -vE '^(Type|NotifyAccess|ExecStart|ExecReload|Restart|RestartSec|WatchdogSec|TimeoutStopSec|StateDirectory|StateDirectoryMode|CacheDirectory|ConfigurationDirectory|ConfigurationDirectoryMode|LoadCredential|SetCredential)=')
TORCH='import torch; print(torch.get_num_threads(), torch.backends.cpu.get_cpu_capability())'
outside=$(runuser -u tastebud -- "$VENV/bin/python" -c "$TORCH" 2>&1 | tail -1)
inside=$(systemd-run -q --wait --pipe "${SANDBOX[@]}" "$VENV/bin/python" -c "$TORCH" 2>&1)
if [ "$inside" = "$outside" ]; then
  pass "torch in the sandbox: threads and CPU kernels as outside it ($inside)"
else
  fail "torch in the sandbox" "threads and CPU capability '$(tail -1 <<<"$inside")', outside '$outside'"
  grep -v "^$(tail -1 <<<"$inside")\$" <<<"$inside" | head -3 | sed 's/^/     | /'
fi
if journalctl -u tastebud -o cat --no-pager | grep -q 'Error in cpuinfo'; then
  fail "start: /proc/cpuinfo" "torch in the daemon cannot read it"
  journalctl -u tastebud -o cat --no-pager | grep -m3 'cpuinfo' | sed 's/^/     | /'
fi
ls -ld /etc/tastebud /var/lib/tastebud | sed 's/^/     /'
wait_cycle "cycle: fetch and train ran" tastebud "$DB"
web_check "web: [web] enabled serves the page on 127.0.0.1:$WEB_PORT inside the unit"
exposure=$(systemd-analyze security tastebud 2>/dev/null | awk '/Overall exposure level/ {print $(NF-2)}')
if [ "$exposure" = 1.2 ]; then
  pass "hardening: systemd-analyze security exposure $exposure, as README.md says"
else
  fail "hardening" "systemd-analyze security exposure '$exposure', README.md says 1.2"
fi
server=$(grep -l 'multiprocessing.forkserver import main' /proc/[0-9]*/cmdline 2>/dev/null | head -1)
if [ -n "$server" ] && [ "$(stat -c %U "$server")" = tastebud ] \
   && ! journalctl -u tastebud -o cat --no-pager | grep -q 'import the model themselves'; then
  pass "cycle: analysis workers forked from the fork server (${server%/cmdline})"
else
  fail "cycle: analysis workers" "no fork server of the daemon's in the sandbox"
  journalctl -u tastebud -o cat --no-pager | grep -m3 'import the model' | sed 's/^/     | /'
fi

PID=$(show tastebud MainPID)
T=$(date +%s)
sed -i 's/^max_items = 50$/max_items = 40/' "$CFG"
if timeout 30 systemctl reload tastebud && [ "$(show tastebud ActiveState)" = active ] \
   && [ "$(show tastebud MainPID)" = "$PID" ] \
   && sleep 1 && journalctl -u tastebud -o cat --no-pager --since "@$T" | grep -q 'configuration reloaded'; then
  pass "reload, good config: active, same pid, \"configuration reloaded\""
else
  fail "reload, good config" "ActiveState=$(show tastebud ActiveState) pid $PID -> $(show tastebud MainPID)"
  journal tastebud "$T"
fi

cp "$CFG" /var/tmp/good.toml
echo 'this is = = not TOML' >>"$CFG"
T=$(date +%s)
systemctl reload --no-block tastebud
# first the daemon's answer (it sends RELOADING=1 before it reads the file), then systemd's state
kept=0
for _ in $(seq 20); do
  sleep 0.5; kept=$(journalctl -u tastebud -o cat --no-pager --since "@$T" | grep -c 'keeping the old config')
  [ "$kept" -ge 1 ] && break
done
sleep 1
st=
for _ in $(seq 20); do st=$(show tastebud ActiveState); [ "$st" = active ] && break; sleep 0.5; done
if [ "$st" = active ] && [ "$(show tastebud MainPID)" = "$PID" ] && [ "$kept" -ge 1 ]; then
  pass "reload, bad config: active again within 10 s, same pid, old config kept"
else
  fail "reload, bad config" "after 10 s ActiveState=$st (SubState=$(show tastebud SubState)), pid $PID -> $(show tastebud MainPID), \"keeping the old config\" logged $kept time(s)"
  journal tastebud "$T" 8 reload
fi
cp /var/tmp/good.toml "$CFG"
if [ "$(show tastebud ActiveState)" != active ]; then   # a good config and SIGHUP: READY=1 ends it
  info "unit stuck in '$(show tastebud ActiveState)': restored the good config and sent SIGHUP"
  systemctl kill -s HUP --kill-who=main tastebud
  for _ in $(seq 20); do sleep 0.5; [ "$(show tastebud ActiveState)" = active ] && break; done
  info "now ActiveState=$(show tastebud ActiveState)"
fi

useradd -m -s /bin/bash alice && usermod -aG tastebud alice
dashboard() {  # NAME
  local out rc
  out=$(su -l alice -c "$VENV/bin/tastebud --config $CFG dashboard --once" 2>&1); rc=$?
  if [ $rc = 0 ] && ! grep -qi 'traceback\|unable to open' <<<"$out" && [ ! -e /home/alice/.local/share/tastebud ]; then
    pass "$1: exit 0, $(grep -c . <<<"$out") lines, read $DB"
  else
    fail "$1" "exit $rc$( [ -e /home/alice/.local/share/tastebud ] && echo ', read ~alice/.local/share/tastebud instead')"
    tail -n 8 <<<"$out" | sed 's/^/     | /'
  fi
}
dashboard "dashboard as group member alice, daemon running"

T=$(date +%s%N)
timeout 120 systemctl stop tastebud
ms=$(( ($(date +%s%N) - T) / 1000000 ))
res=$(show tastebud Result)
if [ "$res" = success ] && [ $ms -le 60000 ]; then
  pass "stop: ${ms} ms (TimeoutStopSec=$(show tastebud TimeoutStopUSec)), Result=success"
else
  fail "stop" "took ${ms} ms, Result=$res"
fi

dashboard "dashboard as group member alice, daemon stopped"
ls -l /var/lib/tastebud | sed 's/^/     /'
T=$(date +%s)
if timeout 120 systemctl start tastebud; then :; fi
sleep 15
st=$(show tastebud ActiveState); n=$(show tastebud NRestarts)
bad=$(journalctl -u tastebud -o cat --no-pager --since "@$T" | grep -c 'unable to open database file\|readonly database')
if [ "$st" = active ] && [ "$n" = 0 ] && [ "$bad" = 0 ]; then
  pass "start after the member's dashboard: active 15 s later, no restarts"
else
  fail "start after the member's dashboard" "ActiveState=$st NRestarts=$n, \"unable to open database file\" or \"readonly database\" logged $bad time(s)"
  journal tastebud "$T" 6
  info "recovering for the next checks: chown tastebud the member's files, restart"
  systemctl stop tastebud; chown tastebud:tastebud /var/lib/tastebud/tastebud.db*; systemctl reset-failed tastebud
  systemctl start tastebud
fi

echo "== tastebud-ytdlp-update.service"
cp /opt/tastebud/systemd/tastebud-ytdlp-update.* /etc/systemd/system/
systemctl daemon-reload && systemctl enable -q --now tastebud-ytdlp-update.timer
ver() { "$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("yt-dlp"))'; }
OLD=2026.8.19
"$VENV/bin/python" -m pip install -q --no-deps "yt-dlp==$OLD" >/dev/null 2>&1 \
  && info "yt-dlp downgraded to $OLD first, so the service has an upgrade to write" \
  || info "yt-dlp $OLD is not in the index: the service may find nothing newer"
before=$(ver); T=$(date +%s)
if timeout 300 systemctl start tastebud-ytdlp-update.service; then rc=0; else rc=$?; fi
after=$(ver)
if [ $rc = 0 ] && [ "$(show tastebud-ytdlp-update Result)" = success ] \
   && { [ "$before" != "$OLD" ] || [ "$after" != "$OLD" ]; }; then
  pass "ytdlp update: exit 0, yt-dlp $before -> $after, tastebud $(show tastebud ActiveState)"
else
  fail "ytdlp update" "exit $rc, Result=$(show tastebud-ytdlp-update Result), yt-dlp $before -> $after"
  journal tastebud-ytdlp-update "$T" 10
fi
systemctl stop tastebud

echo "== user unit tastebud-user.service (alice)"
AUID=$(id -u alice)
U="export XDG_RUNTIME_DIR=/run/user/$AUID;"
ushow() { su -l alice -c "$U systemctl --user show tastebud-user -p $1 --value"; }
ujournal() {  # SINCE [LINES [PATTERN]]
  journalctl _SYSTEMD_USER_UNIT=tastebud-user.service -o cat --no-pager --since "@$1" | grep -i -- "${3:-}" \
    | tail -n "${2:-12}" | sed 's/^/     | /'
}
UVENV=/home/alice/tastebud/.venv
su -l alice -c "git config --global --add safe.directory '*'"   # /src/tastebud is root's
if su -l alice -c "git clone -q /src/tastebud ~/tastebud && $(declare -f overlay); overlay ~/tastebud && cd ~/tastebud && make venv" >/var/tmp/make-venv-alice.log 2>&1; then
  pass "user install: clone and make venv in ~alice/tastebud (after $(elapsed))"
else
  fail "user install" "clone or make venv as alice failed"; tail -20 /var/tmp/make-venv-alice.log
fi
su -l alice -c "mkdir -p ~/.config/systemd/user ~/.config/tastebud && cp ~/tastebud/systemd/tastebud-user.service ~/.config/systemd/user/"
test_config "" "" >/home/alice/.config/tastebud/config.toml && chown alice: /home/alice/.config/tastebud/config.toml
loginctl enable-linger alice
for _ in $(seq 30); do [ -S /run/user/$AUID/bus ] && break; sleep 1; done
T=$(date +%s)
if su -l alice -c "$U systemctl --user daemon-reload && timeout 120 systemctl --user enable -q --now tastebud-user"; then
  st=$(ushow ActiveState); text=$(ushow StatusText)
  if [ "$st" = active ] && [ -n "$text" ]; then
    pass "user start: ActiveState=$st after READY=1, StatusText=$text"
  else
    fail "user start" "ActiveState=$st StatusText=$text"; ujournal "$T"
  fi
else
  fail "user start" "systemctl --user enable --now tastebud-user failed"; ujournal "$T" 20
fi
info "StateDirectory=$(ushow StateDirectory)"
UDB=/home/alice/.local/share/tastebud/tastebud.db
if wait_cycle "user cycle: fetch and train ran" alice "$UDB" "$UVENV"; then
  info "database: $(ls /home/alice/.local/share/tastebud/tastebud.db /home/alice/.config/tastebud/tastebud.db /home/alice/.local/state/tastebud/tastebud.db 2>/dev/null | tr '\n' ' ')"
fi
web_check "user web: [web] enabled serves the page on 127.0.0.1:$WEB_PORT inside the user unit"

UPID=$(ushow MainPID); UCFG=/home/alice/.config/tastebud/config.toml
T=$(date +%s)
sed -i 's/^max_items = 50$/max_items = 40/' "$UCFG"
if su -l alice -c "$U timeout 30 systemctl --user reload tastebud-user" && [ "$(ushow ActiveState)" = active ] \
   && [ "$(ushow MainPID)" = "$UPID" ]; then
  pass "user reload, good config: active, same pid"
else
  fail "user reload, good config" "ActiveState=$(ushow ActiveState) pid $UPID -> $(ushow MainPID)"; ujournal "$T"
fi
cp "$UCFG" /var/tmp/good-user.toml
echo 'this is = = not TOML' >>"$UCFG"
T=$(date +%s)
su -l alice -c "$U systemctl --user reload --no-block tastebud-user"
kept=0
for _ in $(seq 20); do
  sleep 0.5
  kept=$(journalctl _SYSTEMD_USER_UNIT=tastebud-user.service -o cat --no-pager --since "@$T" | grep -c 'keeping the old config')
  [ "$kept" -ge 1 ] && break
done
sleep 1
st=
for _ in $(seq 20); do st=$(ushow ActiveState); [ "$st" = active ] && break; sleep 0.5; done
if [ "$st" = active ] && [ "$(ushow MainPID)" = "$UPID" ] && [ "$kept" -ge 1 ]; then
  pass "user reload, bad config: active again within 10 s, same pid, old config kept"
else
  fail "user reload, bad config" "after 10 s ActiveState=$st, pid $UPID -> $(ushow MainPID), \"keeping the old config\" logged $kept time(s)"
  ujournal "$T" 6 reload
fi
cp /var/tmp/good-user.toml "$UCFG"
if [ "$(ushow ActiveState)" != active ]; then
  info "unit stuck in '$(ushow ActiveState)': restored the good config and sent SIGHUP"
  su -l alice -c "$U systemctl --user kill -s HUP --kill-who=main tastebud-user"
  for _ in $(seq 20); do sleep 0.5; [ "$(ushow ActiveState)" = active ] && break; done
  info "now ActiveState=$(ushow ActiveState)"
fi

out=$(su -l alice -c "$UVENV/bin/tastebud --config ~/.config/tastebud/config.toml dashboard --once" 2>&1); rc=$?
if [ $rc = 0 ] && ! grep -qi 'traceback\|unable to open' <<<"$out"; then
  pass "user dashboard, daemon running: exit 0"
else
  fail "user dashboard" "exit $rc"; tail -n 8 <<<"$out" | sed 's/^/     | /'
fi
T=$(date +%s%N)
su -l alice -c "$U timeout 120 systemctl --user stop tastebud-user"
ms=$(( ($(date +%s%N) - T) / 1000000 ))
res=$(ushow Result)
if [ "$res" = success ] && [ $ms -le 60000 ]; then
  pass "user stop: ${ms} ms, Result=success"
else
  fail "user stop" "took ${ms} ms, Result=$res"
fi

echo "== $FAILED check(s) failed; inside the container $(elapsed)"
exit "$FAILED"
