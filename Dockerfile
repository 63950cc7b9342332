# tailgate in a container: built in a first stage, run from Debian slim with
# only the runtime libraries (libjansson, libnghttp2, libssl). Used by deploy/kubernetes/.
#   docker build -t tailgate:latest .
#   docker run --rm tailgate:latest run http://host:8000/v1/infer --rate 100 -d 10s
FROM debian:12-slim AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends make gcc libc6-dev libjansson-dev libnghttp2-dev libssl-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY src ./src
RUN make -j"$(nproc)" tailgate

FROM debian:12-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libjansson4 libnghttp2-14 libssl3 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/tailgate /usr/local/bin/tailgate
USER 65534:65534
ENTRYPOINT ["tailgate"]
CMD ["--help"]
