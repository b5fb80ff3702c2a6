package org.robustlab.report;

import java.util.Locale;
import tools.jackson.databind.JsonNode;

/** Small helpers for the server-rendered report pages. */
public final class Html {

    private Html() {}

    public static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /** A JSON value as text ("" for null or missing). */
    public static String str(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return "";
        }
        return n.isValueNode() ? n.asString() : n.toString();
    }

    /** A fraction with four decimals, or an em dash for null. */
    public static String frac(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode() || !n.isNumber()) {
            return "—";
        }
        return String.format(Locale.ROOT, "%.4f", n.asDouble());
    }

    public static String num(JsonNode n, String format) {
        if (n == null || n.isNull() || n.isMissingNode() || !n.isNumber()) {
            return "—";
        }
        return String.format(Locale.ROOT, format, n.asDouble());
    }

    public static final String STYLE = """
            <style>
            body{font-family:DejaVu Sans,Arial,sans-serif;margin:24px;color:#222;max-width:1200px}
            table{border-collapse:collapse;margin:8px 0 20px}
            th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;font-size:14px}
            th{background:#f3f3f3}
            td.num{text-align:right;font-variant-numeric:tabular-nums}
            .passed{color:#1a7f37;font-weight:bold}.failed{color:#c62828;font-weight:bold}
            img{border:1px solid #ddd;margin:6px 0;max-width:100%}
            .meta{color:#555}
            </style>
            """;
}
