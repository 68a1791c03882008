# The next deployment fails on the instance, as CodeDeploy reports it.
curl -sf -X POST -d '{"outcome": "Failed", "errorInformation": {"code": "HOOK_EXECUTION_FAILURE", "message": "Script at specified location: scripts/validate.sh run as user root failed with exit code 1"}}' \
	"$E/ferry-test/codedeploy" >/dev/null
