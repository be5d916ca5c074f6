# dpclab in a container: Node 20 on Debian with SoftHSM, OpenSC and OpenSSL.
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends softhsm2 opensc openssl python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx tsc -p tsconfig.json
ENTRYPOINT ["node", "bin/dpclab.js"]
