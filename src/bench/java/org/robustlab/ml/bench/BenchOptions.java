package org.robustlab.ml.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/** The {@code --name value} options of a bench command, over its defaults; an unknown name is refused, listing the known. */
final class BenchOptions {

    private BenchOptions() {}

    static Map<String, String> parse(Map<String, String> defaults, String[] args) {
        if (args.length % 2 != 0) {
            throw new IllegalArgumentException("options come in pairs, --name value; the known names and their defaults: " + defaults);
        }
        Map<String, String> opts = new LinkedHashMap<>(defaults);
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!opts.containsKey(args[i])) {
                throw new IllegalArgumentException("unknown option " + args[i] + "; expected one of " + opts.keySet());
            }
            opts.put(args[i], args[i + 1]);
        }
        return opts;
    }
}
