#!/bin/bash
# Grade, then merge, on Kubernetes: apply grade-job.yaml, wait until every shard has completed,
# apply merge-job.yaml, wait for it. Options are passed to every kubectl call (e.g. -n NAMESPACE,
# --context C). Exit status 0 when the merged class is complete; the merge's log ends with its report.
#
#   deploy/kubernetes/run.sh [-n NAMESPACE]
#
# Re-running it grades only what is missing (each shard resumes from its folder on the volume).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kube=(kubectl "$@")

wait_for() {   # wait_for JOB: until its Complete or Failed condition is true
    local state=""
    while :; do
        state=$("${kube[@]}" get job "$1" -o jsonpath='{.status.conditions[?(@.status=="True")].type}')
        case " $state " in
            *" Complete "*) echo "job $1: complete"; return 0 ;;
            *" Failed "*) echo "job $1: failed; see: ${kube[*]} logs job/$1" >&2; return 1 ;;
        esac
        sleep 15
    done
}

"${kube[@]}" delete job autograde-grade autograde-merge --ignore-not-found
"${kube[@]}" apply -f "$here/grade-job.yaml"
wait_for autograde-grade
"${kube[@]}" apply -f "$here/merge-job.yaml"
status=0
wait_for autograde-merge || status=1
"${kube[@]}" logs job/autograde-merge | tail -n 20
exit $status
