package io.citusmigrate.testing;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * A single-node Citus in a {@code citusdata/citus} container, through Testcontainers, when a
 * Docker engine answers. One per JVM; Testcontainers removes it when the JVM exits.
 */
final class DockerCitus {
    static final String IMAGE = System.getenv().getOrDefault("CITUS_IMAGE", "citusdata/citus:13.2");
    private static GenericContainer<?> container;
    private static boolean tried;

    private DockerCitus() {}

    static synchronized Optional<String> coordinatorUrl() {
        if (!tried) {
            tried = true;
            // asking Testcontainers when there is plainly no engine costs seconds and a page of logs
            boolean engineHint = System.getenv("DOCKER_HOST") != null || Files.exists(Path.of("/var/run/docker.sock"))
                    || Files.exists(Path.of(System.getProperty("user.home"), ".docker", "run", "docker.sock"));
            if (!engineHint) return Optional.empty();
            try {
                if (!DockerClientFactory.instance().isDockerAvailable()) return Optional.empty();
                GenericContainer<?> c = new GenericContainer<>(IMAGE)
                        .withEnv("POSTGRES_PASSWORD", "postgres")
                        .withExposedPorts(5432)
                        .waitingFor(Wait.forLogMessage(".*database system is ready to accept connections.*", 2)
                                .withStartupTimeout(Duration.ofMinutes(3)));
                c.start();
                container = c;
            } catch (RuntimeException e) {
                System.out.println("[citus-target] a Docker engine answers but " + IMAGE + " could not start: " + e.getMessage());
                return Optional.empty();
            }
        }
        return container == null ? Optional.empty()
                : Optional.of("jdbc:postgresql://" + container.getHost() + ":" + container.getMappedPort(5432)
                        + "/postgres?user=postgres&password=postgres");
    }
}
