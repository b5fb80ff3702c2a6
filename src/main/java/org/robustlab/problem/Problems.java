package org.robustlab.problem;

import java.net.URI;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;

/**
 * RFC 9457 problem details as this service writes them: a stable {@code type} under {@link #BASE}, a
 * title, and a detail that says what to fix. Details never echo a long value in full ({@link #clip})
 * and never show a server path ({@link #withoutPaths}).
 */
public final class Problems {

    public static final String BASE = "https://robustlab.org/problems/";
    private static final int MAX_ECHO = 80;
    /** An absolute file path (not a URL, not an API path): at least one folder, then the last part. */
    private static final Pattern ABSOLUTE_PATH = Pattern.compile("(?<![\\w.:/~])/(?!api/|v3/|actuator/|swagger)(?:[\\w.+@-]+/)+([\\w.+@-]*)");
    private static final Pattern LONG_TOKEN = Pattern.compile("\\S{" + (MAX_ECHO + 1) + ",}");

    private Problems() {}

    /** A problem; its detail loses server paths and has long tokens cut ({@link #safe}). */
    public static ProblemDetail of(HttpStatus status, String type, String title, String detail) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(status, safe(detail));
        p.setType(URI.create(BASE + type));
        p.setTitle(title);
        return p;
    }

    /** {@code text} without server paths and with every run of more than 80 non-blank characters cut. */
    public static String safe(String text) {
        if (text == null) {
            return null;
        }
        Matcher m = LONG_TOKEN.matcher(withoutPaths(text));
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, Matcher.quoteReplacement(clip(m.group())));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /** {@code value} as text, cut to 80 characters with a note of its length when longer. */
    public static String clip(Object value) {
        String s = String.valueOf(value);
        return s.length() <= MAX_ECHO ? s : s.substring(0, MAX_ECHO) + "... (" + s.length() + " characters)";
    }

    /**
     * {@code message} with absolute paths under {@code roots} named by the root's label
     * ({@code runs/jobs/.../last}) and any other absolute path reduced to its last part.
     *
     * @param roots pairs of (folder, label)
     */
    public static String withoutPaths(String message, Object... roots) {
        if (message == null) {
            return null;
        }
        String out = message;
        for (int i = 0; i + 1 < roots.length; i += 2) {
            String root = ((Path) roots[i]).toAbsolutePath().normalize().toString();
            out = out.replace(root, (String) roots[i + 1]);
        }
        Matcher m = ABSOLUTE_PATH.matcher(out);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, Matcher.quoteReplacement(m.group(1).isEmpty() ? "(a server folder)" : m.group(1)));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /**
     * Checks a page request: page >= 0, size in [1, 200], and page * size small enough for the
     * database's row offset; an {@link InvalidRequestException} names the field otherwise.
     */
    public static void checkPage(int page, int size) {
        if (size < 1 || size > 200) {
            throw new InvalidRequestException("size", "size must be in [1, 200]; got " + size);
        }
        if (page < 0 || (long) page * size > Integer.MAX_VALUE) {
            throw new InvalidRequestException("page", "page must be in [0, " + Integer.MAX_VALUE / size
                    + "] for size " + size + "; got " + page);
        }
    }

    /** A problem document as JSON text, for answers written outside Spring MVC. */
    static String json(int status, String detail) {
        HttpStatus s = HttpStatus.resolve(status);
        return json(status, "http-" + status, s == null ? "Error" : s.getReasonPhrase(), detail);
    }

    /** A problem document with its own type and title, as JSON text. */
    public static String json(int status, String type, String title, String detail) {
        return "{\"type\":\"" + BASE + type + "\",\"title\":\"" + escape(title) + "\",\"status\":" + status
                + ",\"detail\":\"" + escape(safe(detail)) + "\"}";
    }

    private static String escape(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }
}
