#!/bin/sh
# deploy/kubernetes/job.yaml: an Indexed Job whose pods run their segment, and
# a manifest kubectl accepts: --dry-run=client against a cluster when there is
# one, else kubectl's offline kustomize parse. Exit 77 = skipped (no kubectl).
set -u
dir="${PB_SOURCE_DIR:?}/deploy/kubernetes"
job="$dir/job.yaml"
fail() { echo "FAIL: $*" >&2; exit 1; }
for want in 'completionMode: Indexed' 'parallelism:' 'completions:' \
    '--segment "$JOB_COMPLETION_INDEX/$SEGMENTS"' '--start-at "$START_AT"' \
    '/results/segment-$JOB_COMPLETION_INDEX.db' 'restartPolicy: Never'; do
    grep -qF -- "$want" "$job" || fail "job.yaml lacks $want"
done
grep -q '^FROM debian:12-slim' "$dir/Dockerfile" || fail "Dockerfile is not on Debian 12 slim"
if ! command -v kubectl >/dev/null 2>&1; then
    echo "SKIP: kubectl not installed (Debian package kubernetes-client)"
    exit 77
fi
out=$(kubectl apply --dry-run=client --validate=false -f "$job" 2>&1)
rc=$?
if [ $rc -ne 0 ]; then
    case "$out" in
    *"connection refused"* | *"unable to recognize"* | *"no such host"* | *"Unable to connect"*)
        # kubectl maps kinds through the API server even with --dry-run=client;
        # with no cluster here, kubectl's own kustomize still parses every
        # document of the manifest offline and fails on malformed YAML
        tmp=$(mktemp -d) || fail "mktemp"
        cp "$job" "$tmp/job.yaml"
        printf 'resources:\n- job.yaml\n' >"$tmp/kustomization.yaml"
        built=$(kubectl kustomize "$tmp" 2>&1)
        krc=$?
        rm -rf "$tmp"
        [ $krc -eq 0 ] || fail "kubectl kustomize could not read job.yaml: $built"
        echo "$built" | grep -q '^kind: Job$' || fail "kubectl kustomize found no Job: $built"
        echo "ok: no API server for --dry-run=client here; kubectl kustomize parsed the manifest"
        exit 0
        ;;
    esac
    fail "kubectl apply --dry-run=client: $out"
fi
echo "$out" | grep -q 'job.batch/patternbench-run created (dry run)' || fail "kubectl said: $out"
echo "ok: $out"
