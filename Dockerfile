# dpclab in a container: Node 20 on Debian bookworm with SoftHSM, OpenSC and OpenSSL.
# BASE is node:20-bookworm-slim wherever a registry is reachable. Without one, scripts/docker-image.sh builds an
# equivalent base locally from Debian's packages (debootstrap + this machine's Node 20) and passes it:
#   docker build --build-arg BASE=dpclab/base:bookworm-node20.x.y -t dpclab:dev .
ARG BASE=node:20-bookworm-slim
FROM ${BASE}
RUN apt-get update && apt-get install -y --no-install-recommends softhsm2 opensc openssl python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY . .
RUN npx tsc -p tsconfig.json
ENV DPCLAB_LAB_DIR=/lab
EXPOSE 7800
ENTRYPOINT ["node", "bin/dpclab.js"]
