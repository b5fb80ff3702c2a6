package org.robustlab.security;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Key management on the command line, against the configured database, without starting the server or
 * any worker:
 * <pre>
 * java -jar robustlab.jar keys create --name alice --role researcher   # prints the new key once
 * java -jar robustlab.jar keys list
 * java -jar robustlab.jar keys revoke ID
 * </pre>
 * Spring options ({@code --spring.profiles.active=postgres}, {@code --robustlab...}) pass through.
 */
public final class KeysCommand {

    private KeysCommand() {}

    /** Runs {@code keys ...}; returns the exit code. */
    public static int run(Class<?> application, String[] args, PrintStream out) {
        List<String> words = new ArrayList<>();
        List<String> spring = new ArrayList<>();
        String name = null;
        String role = null;
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--name") && i + 1 < args.length) {
                name = args[++i];
            } else if (a.equals("--role") && i + 1 < args.length) {
                role = args[++i];
            } else if (a.startsWith("--")) {
                spring.add(a);
            } else {
                words.add(a);
            }
        }
        if (words.isEmpty()) {
            out.println("usage: keys create --name NAME --role viewer|researcher|admin | keys list | keys revoke ID");
            return 2;
        }
        try (ConfigurableApplicationContext context = new SpringApplicationBuilder(application)
                .web(WebApplicationType.NONE).lazyInitialization(true).logStartupInfo(false)
                .properties("spring.main.banner-mode=off")
                .run(spring.toArray(String[]::new))) {
            ApiKeys keys = context.getBean(ApiKeys.class);
            switch (words.get(0)) {
                case "create" -> {
                    ApiKeys.IssuedKey key = keys.create(name, role, null);
                    out.println(key.key());
                    out.printf("issued %s key %s for %s (id %s); this is the only time the key is shown%n", key.role(), key.prefix(),
                            key.name(), key.id());
                }
                case "list" -> keys.list().forEach(k -> out.printf("%s  %-10s %-12s %s%s%n", k.id(), k.role(), k.prefix(), k.name(),
                        k.revokedAt() == null ? "" : "  (revoked " + k.revokedAt() + ")"));
                case "revoke" -> {
                    if (words.size() < 2) {
                        out.println("usage: keys revoke ID");
                        return 2;
                    }
                    ApiKeys.KeyView k = keys.revoke(UUID.fromString(words.get(1)));
                    out.printf("revoked %s (%s, %s)%n", k.id(), k.name(), k.role());
                }
                default -> {
                    out.println("unknown command '" + words.get(0) + "'; use create, list or revoke");
                    return 2;
                }
            }
            return 0;
        } catch (RuntimeException e) {
            out.println("keys " + words.get(0) + " failed: " + e.getMessage());
            return 1;
        }
    }
}
