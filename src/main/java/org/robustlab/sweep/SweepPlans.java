package org.robustlab.sweep;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.robustlab.problem.InvalidRequestException;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/** Expands a sweep request into its members: configurations (the grid's combinations, then baselines) times seeds. */
@Component
public class SweepPlans {

    /** The most members one sweep may have. */
    static final int MAX_MEMBERS = 200;

    /** One member before it is stored: its configuration's label, baseline name, seed and full training request. */
    record Planned(String config, String baseline, Long seed, ObjectNode request) {}

    private final ObjectMapper json;

    SweepPlans(ObjectMapper json) {
        this.json = json;
    }

    List<Planned> expand(CreateSweepRequest r) {
        ObjectNode base = json.valueToTree(r.base());
        Map<String, List<Object>> grid = r.grid() == null ? Map.of() : r.grid();
        List<Long> seeds = new ArrayList<>();
        if (grid.containsKey("seed")) {
            for (Object s : grid.get("seed")) {
                if (!(s instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.longValue() < 0) {
                    throw new InvalidRequestException("grid", "grid.seed must list non-negative integers; got " + s);
                }
                seeds.add(n.longValue());
            }
        } else {
            seeds.add(null);
        }
        List<String> keys = grid.keySet().stream().filter(k -> !k.equals("seed")).toList();
        long configs = 1;
        for (String k : keys) {
            configs *= grid.get(k).size();
        }
        int baselines = r.baselines() == null ? 0 : r.baselines().size();
        long members = (configs + baselines) * seeds.size();
        if (members > MAX_MEMBERS) {
            throw new InvalidRequestException("grid", "the sweep would have " + members + " members ((" + configs + " configurations + "
                    + baselines + " baselines) x " + seeds.size() + " seeds); at most " + MAX_MEMBERS);
        }
        List<Planned> out = new ArrayList<>();
        int[] index = new int[keys.size()];
        for (long c = 0; c < configs; c++) {
            ObjectNode request = base.deepCopy();
            List<String> label = new ArrayList<>();
            for (int k = 0; k < keys.size(); k++) {
                Object value = grid.get(keys.get(k)).get(index[k]);
                set(request, keys.get(k), json.valueToTree(value));
                label.add(keys.get(k) + "=" + text(value));
            }
            for (Long seed : seeds) {
                out.add(new Planned(label.isEmpty() ? "base" : String.join(", ", label), null, seed, withSeed(request, seed)));
            }
            for (int k = keys.size() - 1; k >= 0; k--) {
                if (++index[k] < grid.get(keys.get(k)).size()) {
                    break;
                }
                index[k] = 0;
            }
        }
        if (r.baselines() != null) {
            Set<String> names = new HashSet<>();
            for (CreateSweepRequest.Baseline b : r.baselines()) {
                if (!names.add(b.name())) {
                    throw new InvalidRequestException("baselines", "two baselines are named '" + b.name() + "'");
                }
                ObjectNode request = (ObjectNode) mergePatch(base.deepCopy(), json.valueToTree(b.request()));
                for (Long seed : seeds) {
                    out.add(new Planned("baseline " + b.name(), b.name(), seed, withSeed(request, seed)));
                }
            }
        }
        return out;
    }

    private static ObjectNode withSeed(ObjectNode request, Long seed) {
        ObjectNode copy = request.deepCopy();
        if (seed != null) {
            copy.put("seed", seed);
        }
        return copy;
    }

    private static String text(Object value) {
        return value instanceof String s ? s : String.valueOf(value);
    }

    /** Sets the field at a dotted path, making the objects on the way. */
    static void set(ObjectNode node, String path, JsonNode value) {
        String[] parts = path.split("\\.");
        ObjectNode parent = node;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode child = parent.get(parts[i]);
            if (child == null || !child.isObject()) {
                child = parent.putObject(parts[i]);
            }
            parent = (ObjectNode) child;
        }
        parent.set(parts[parts.length - 1], value);
    }

    /** RFC 7386 JSON merge patch. */
    static JsonNode mergePatch(JsonNode target, JsonNode patch) {
        if (patch == null || !patch.isObject()) {
            return patch == null ? null : patch.deepCopy();
        }
        ObjectNode t = target != null && target.isObject() ? (ObjectNode) target : JsonNodeFactory.instance.objectNode();
        for (Map.Entry<String, JsonNode> e : patch.properties()) {
            if (e.getValue().isNull()) {
                t.remove(e.getKey());
            } else {
                t.set(e.getKey(), mergePatch(t.get(e.getKey()), e.getValue()));
            }
        }
        return t;
    }
}
