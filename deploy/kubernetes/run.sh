#!/bin/sh
# deploy/kubernetes/run.sh — one tailgate run over N pods: start them together,
# wait, merge, and exit with the gate's code (0 pass, 1 an SLA failed, 2 not one
# run, 3 a segment missing or interrupted), so a CI step needs nothing else.
#
#   deploy/kubernetes/run.sh                 # START_IN=60 NAMESPACE=default
#
# Edit configmap.yaml (TARGET_URL, TAILGATE_ARGS, SEGMENTS) and job.yaml
# (completions = parallelism = SEGMENTS, image) first. Needs kubectl and GNU date.
set -eu
cd "$(dirname "$0")"
NS=${NAMESPACE:-default}
START_IN=${START_IN:-60}      # seconds for every pod to be scheduled and pulled
TIMEOUT=${TIMEOUT:-7200}      # seconds to wait for each Job
k() { kubectl -n "$NS" "$@"; }

# Polls a Job until it completes or fails; prints which.
job_end() {
    end=$(( $(date +%s) + TIMEOUT ))
    while [ "$(date +%s)" -lt "$end" ]; do
        state=$(k get job "$1" -o jsonpath='{range .status.conditions[?(@.status=="True")]}{.type}{" "}{end}')
        case "$state" in
            *Complete*) echo Complete; return ;;
            *Failed*) echo Failed; return ;;
        esac
        sleep 5
    done
    echo Timeout
}

START_AT=$(date -u -d "+$START_IN seconds" +%Y-%m-%dT%H:%M:%SZ)
k apply -f pvc.yaml -f configmap.yaml
k patch configmap tailgate-run --type merge -p "{\"data\":{\"START_AT\":\"$START_AT\"}}"
k delete job tailgate-segments tailgate-merge --ignore-not-found --wait=true
k apply -f job.yaml
echo "run.sh: segments start at $START_AT"
echo "run.sh: segments: $(job_end tailgate-segments)"   # failed ones show up as missing in the merge
k apply -f merge-job.yaml
echo "run.sh: merge: $(job_end tailgate-merge)"
k logs job/tailgate-merge || true
code=$(k get pods -l job-name=tailgate-merge \
    -o jsonpath='{.items[0].status.containerStatuses[0].state.terminated.exitCode}')
echo "run.sh: tailgate merge exited $code"
exit "${code:-3}"
