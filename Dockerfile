# The image of every Natter service; the service is a build argument. Build from the repository
# root (the context needs the workspace):
#   docker build --build-arg SERVICE=natter-api   -t natter-api:dev .
#   docker build --build-arg SERVICE=link-preview -t natter-link-preview:dev .
# `npm run images` builds, pushes and locks both for a release (scripts/README.md).
#
# Node.js 24 on Debian 13: Node 20 reached end of life on 2026-04-30, Node 22 leaves maintenance on
# 2027-04-30 and Node 24 on 2028-04-30; distroless stopped building its Debian 12 images in 2026-09.
#
# Base images are pinned by digest, never by a tag alone: a tag can be moved under us, a digest
# cannot. Bump both together (a test checks that their Node majors agree) and re-run the image scan.
# Neither digest could be checked against a registry where it was written; run
# `crane digest <image>:<tag>` (multi-arch index digest) before the first release build. Sources:
# - node:24-trixie-slim: docker-library/repo-info, repos/node/remote/24-trixie-slim.md at commit
#   2eade49d93bd3ea5092e8210e288f13f832b298d (Node 24.20.0, image built 2026-08-27);
# - gcr.io/distroless/nodejs24-debian13:nonroot: pinned in denreport/denreport's Dockerfile at
#   commit 1572091 (2026-07-24) and in two other public repositories (distroless publishes no
#   digest record of its own).
ARG BUILD_IMAGE=node:24-trixie-slim@sha256:50c3b2f6988dfc307b86e5301d69611af31f4789bdf232863b07d3b02fe55ae0
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian13:nonroot@sha256:af85d11ce7ef10172855a6e3649e3e8125b1b9e3ca41849ec2918036f05cb212

# ---- build: install from the lockfile, bundle the service into ESM files, write its SBOM --------
FROM ${BUILD_IMAGE} AS build
# natter-api or link-preview (the folder under packages/).
ARG SERVICE
RUN test -n "${SERVICE}" || { echo 'build with --build-arg SERVICE=<natter-api|link-preview>' >&2; exit 1; }
WORKDIR /workspace
# Manifests first: the dependency layer is reused until one of them changes.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY packages/service-kit/package.json packages/service-kit/
COPY packages/${SERVICE}/package.json packages/${SERVICE}/
# --frozen-lockfile: exactly the reviewed versions. --ignore-scripts: no dependency runs code at
# install time (nothing we ship needs an install script; esbuild works from its platform package).
RUN npx -y pnpm@9.15.9 install --frozen-lockfile --ignore-scripts --filter @natter/${SERVICE}...
COPY tsconfig.base.json ./
COPY packages/service-kit/tsconfig.json packages/service-kit/
COPY packages/${SERVICE}/tsconfig.json packages/${SERVICE}/
COPY scripts/bundle.ts scripts/sbom.ts scripts/
COPY packages/service-kit/src packages/service-kit/src
COPY packages/${SERVICE}/src packages/${SERVICE}/src
# /out holds the bundles (server.mjs, and migrate.mjs for natter-api) and sbom.cdx.json: the
# CycloneDX list of exactly the locked packages the bundles contain. Bundled code is invisible to
# image scanners (there is no node_modules to find), so they read this file instead. The natter-api
# bundle leaves the embedded development database (PGlite) out: that image needs DATABASE_HOST.
RUN node_modules/.bin/tsx scripts/bundle.ts ${SERVICE} --outdir /out --sbom /out/sbom.cdx.json

# ---- runtime: distroless Node.js — no shell, no package manager, only the bundles and the SBOM ----
FROM ${RUNTIME_IMAGE}
# distroless keeps node at /nodejs/bin, off the default PATH; put it first so `node …` commands
# (e.g. the chart's `node /app/migrate.mjs`) resolve as they do anywhere else.
ENV NODE_ENV=production \
    PORT=4567 \
    PATH=/nodejs/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
WORKDIR /app
# Owned by root and read-only to the service user: the code cannot be altered at run time even
# where the root filesystem is not mounted read-only. Secrets (HMAC key, database passwords) are
# mounted at run time (/var/run/secrets/natter/), never copied into the image.
COPY --from=build /out/ /app/
# Numeric, so Kubernetes can verify runAsNonRoot; >= 10001 to stay clear of host users (kubesec).
USER 10001:10001
EXPOSE 4567
ENTRYPOINT ["/nodejs/bin/node", "/app/server.mjs"]
