package org.robustlab.worker;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.google.gson.annotations.SerializedName;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.cfg.MapperConfig;
import tools.jackson.databind.introspect.AnnotatedClass;
import tools.jackson.databind.introspect.JacksonAnnotationIntrospector;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.NullNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The worker protocol's JSON, on both ends: the task file the service writes, the event lines the worker writes
 * ({@value #PREFIX} then one {@link WorkerEvent}) and the report file. Unknown fields are errors, so that the
 * two ends cannot drift apart silently; absent values are left out.
 */
public final class WorkerJson {

    /** The start of an event line on a worker's standard output; any other line is log. */
    public static final String PREFIX = "@@robustlab ";

    public static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .changeDefaultPropertyInclusion(inclusion -> inclusion.withValueInclusion(JsonInclude.Include.NON_NULL))
            .annotationIntrospector(new SerializedNames())
            .build();

    private WorkerJson() {}

    /** An event as its line. */
    public static String line(WorkerEvent event) {
        return PREFIX + MAPPER.writeValueAsString(event);
    }

    /** The event of a line, or empty for a log line (or a line that is not a well-formed event). */
    public static Optional<WorkerEvent> event(String line) {
        if (!line.startsWith(PREFIX)) {
            return Optional.empty();
        }
        try {
            return Optional.of(MAPPER.readValue(line.substring(PREFIX.length()), WorkerEvent.class));
        } catch (JacksonException e) {
            return Optional.empty();
        }
    }

    /**
     * {@code value} as a JSON tree with every NaN or infinite number replaced by null: JSON has no such numbers, and a
     * degenerate model (all-zero features, NaN outputs) must still get a report that clients can parse.
     */
    public static JsonNode finite(Object value) {
        return finite(MAPPER.valueToTree(value));
    }

    private static JsonNode finite(JsonNode n) {
        if (n instanceof ObjectNode o) {
            for (String name : o.propertyNames()) {
                o.set(name, finite(o.get(name)));
            }
        } else if (n instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                a.set(i, finite(a.get(i)));
            }
        } else if (n.isNumber() && (Double.isNaN(n.asDouble()) || Double.isInfinite(n.asDouble()))) {
            return NullNode.getInstance();
        }
        return n;
    }

    /**
     * The ML core names some enum constants for JSON with Gson's {@code @SerializedName} (Gson is DJL's JSON library,
     * which the core's checkpoints use): the protocol writes the same names ({@code "linf"}, {@code "apgd-ce"}) and
     * reads either those or the constants' own names.
     */
    private static final class SerializedNames extends JacksonAnnotationIntrospector {

        @Override
        public String[] findEnumValues(MapperConfig<?> config, AnnotatedClass type, Enum<?>[] values, String[] names) {
            String[] out = super.findEnumValues(config, type, values, names);
            for (int i = 0; i < values.length; i++) {
                SerializedName name = annotation(values[i]);
                if (name != null) {
                    out[i] = name.value();
                }
            }
            return out;
        }

        @Override
        public void findEnumAliases(MapperConfig<?> config, AnnotatedClass type, Enum<?>[] values, String[][] aliases) {
            super.findEnumAliases(config, type, values, aliases);
            for (int i = 0; i < values.length; i++) {
                SerializedName name = annotation(values[i]);
                if (name != null) {
                    List<String> all = new ArrayList<>(aliases[i] == null ? List.of() : List.of(aliases[i]));
                    all.addAll(List.of(name.alternate()));
                    all.add(values[i].name());
                    aliases[i] = all.toArray(String[]::new);
                }
            }
        }

        private static SerializedName annotation(Enum<?> value) {
            try {
                return value.getDeclaringClass().getField(value.name()).getAnnotation(SerializedName.class);
            } catch (NoSuchFieldException e) {
                return null;
            }
        }
    }
}
