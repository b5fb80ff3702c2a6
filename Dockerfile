# Multi-stage build: compile with the Maven wrapper, run on a JRE.
# Built and started with podman by scripts/container-check.sh (see results/container-check.md).
# The base images can be swapped for equivalents (a JDK 17 and a JRE 17 on Debian or Ubuntu), as
# scripts/container-check.sh does with images it makes offline from Debian's packages.
ARG BUILD_IMAGE=eclipse-temurin:17-jdk
ARG RUNTIME_IMAGE=eclipse-temurin:17-jre
FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY .mvn .mvn
COPY mvnw pom.xml ./
RUN ./mvnw -B -ntp dependency:go-offline
COPY src src
RUN ./mvnw -B -ntp -DskipTests package && cp target/robustlab-*.jar /app.jar

FROM ${RUNTIME_IMAGE}
# fonts for the report's PNG charts (Java2D draws their text headless)
RUN apt-get update && apt-get install -y --no-install-recommends fontconfig fonts-dejavu-core && rm -rf /var/lib/apt/lists/*
# every folder the service writes, made here and owned by its user: a named volume mounted on one of them (the compose
# file's data and datasets) starts as a copy of it, owned by robustlab, instead of an empty folder owned by root
RUN useradd --system --home /var/lib/robustlab robustlab \
 && mkdir -p /var/lib/robustlab/data/runs /var/lib/robustlab/data/datasets /var/lib/robustlab/datasets \
 && chown -R robustlab:robustlab /var/lib/robustlab
USER robustlab
WORKDIR /var/lib/robustlab
COPY --from=build /app.jar /opt/robustlab/app.jar
# Datasets are read from /var/lib/robustlab/data/datasets; jobs, checkpoints and models go to /var/lib/robustlab/data/runs.
ENV ROBUSTLAB_DATA_DIR=/var/lib/robustlab/data/datasets \
    ROBUSTLAB_RUNS_DIR=/var/lib/robustlab/data/runs
EXPOSE 8080
ENTRYPOINT ["java", "-jar", "/opt/robustlab/app.jar"]
