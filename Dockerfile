# syntax=docker/dockerfile:1
# The podscale controller's image: the one static binary and nothing else.
#
#   make static
#   docker build -t ghcr.io/podscale/podscale:0.1.0 .
#
# The binary is not built here: `make static` builds it (musl, statically linked, checked) and
# leaves a copy at target/static/podscale, which .dockerignore lets into the build context and
# nothing else. Building it in a Rust stage instead would redo, without the shared cargo cache,
# a build that takes minutes; and no container engine runs in CI, so the binary the tests and
# `make static` check is the one that ships. Another path: `--build-arg BINARY=...` (inside the
# build context).
#
# Why an empty base image is enough:
# - No libc or loader: the binary is statically linked (`make static` refuses it otherwise).
# - No CA certificates: in a cluster, the client trusts exactly the API server's CA from the
#   mounted service account (ca.crt), and every other endpoint it calls (metrics.k8s.io, the
#   custom and external metrics adapters) is reached through the API server. Only a run
#   outside a cluster against a kubeconfig without certificate-authority data would need the
#   system roots; mount them at /etc/ssl/certs then, or build FROM
#   gcr.io/distroless/static-debian12, which has them.
# - No time zone files: cron schedules resolve IANA zones from the tz database compiled into
#   the binary (podscale core, tzdb_data), not from /usr/share/zoneinfo.
# - No /etc/passwd: the user is given by number, which is all the kubelet's runAsNonRoot check
#   and the kernel need.
# - No writable directory: logs go to stderr and state to the PodScalers' status, so the
#   root filesystem can be read-only (deploy/deployment.yaml).
FROM scratch

ARG BINARY=target/static/podscale
COPY --chmod=0555 ${BINARY} /podscale

# 65532 is the conventional "nonroot" id of distroless images; deploy/deployment.yaml runs as
# the same user, so the two agree whichever one a cluster's policy checks.
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/podscale"]
CMD ["run", "--leader-elect"]
