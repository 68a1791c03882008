# The first two uploads answer 503 SlowDown.
curl -sf -X POST -d '{"status": 503, "count": 2, "code": "SlowDown", "method": "PUT"}' \
	"$PE/__fault__" >/dev/null
