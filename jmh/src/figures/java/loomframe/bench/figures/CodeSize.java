package loomframe.bench.figures;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The code-size table of docs/COMPARISON.md, counted from the source each time (so it is a
 * generated block like the benchmark tables, and BenchFiguresTest fails when the code moves on).
 * A line counts when it is neither blank nor a comment ({@code //}, {@code /*}, {@code *}); tag
 * markers are comments. A region is the lines between {@code // tag::NAME[]} and {@code // end::NAME[]}.
 */
final class CodeSize {
    private CodeSize() {}

    private static final String MAIN = "src/main/java/loomframe/";
    private static final String MINIMAL = "src/test/java/loomframe/docs/minimal/";

    /** One row: what it is, then the blocking side and the async side, each a list of files or FILE#REGION. */
    private record Row(String what, List<String> blocking, List<String> async) {}

    private static final List<Row> ROWS = List.of(
            new Row("the minimal pair (echo, every split; no limits)",
                    List.of(MINIMAL + "MinimalVirtualThreadServer.java"), List.of(MINIMAL + "MinimalCompletionHandlerServer.java")),
            new Row("sequencing one connection (the tagged steps)",
                    List.of(MAIN + "server/blocking/BlockingConnection.java#blocking-connection", MAIN + "server/blocking/BlockingConnection.java#blocking-read",
                            MAIN + "server/blocking/BlockingConnection.java#blocking-frame", MAIN + "server/blocking/BlockingConnection.java#blocking-write"),
                    List.of(MAIN + "server/async/AsyncConnection.java#async-step", MAIN + "server/async/AsyncConnection.java#async-read",
                            MAIN + "server/async/AsyncConnection.java#async-frame", MAIN + "server/async/AsyncConnection.java#async-write",
                            MAIN + "server/async/AsyncConnection.java#async-failed")),
            new Row("one connection, whole class", List.of(MAIN + "server/blocking/BlockingConnection.java"),
                    List.of(MAIN + "server/async/AsyncConnection.java")),
            new Row("accepting, whole class", List.of(MAIN + "server/blocking/BlockingServer.java"), List.of(MAIN + "server/async/AsyncServer.java")),
            new Row("TLS under the connection", List.of(MAIN + "server/core/tls/BlockingTlsTransport.java"),
                    List.of(MAIN + "server/core/tls/AsyncTlsTransport.java")),
            new Row("the delay handler's wait", List.of(MAIN + "handlers/DelayHandler.java#delay-blocking", MAIN + "handlers/DelayHandler.java#delay-sleep"),
                    List.of(MAIN + "handlers/DelayHandler.java#delay-async")),
            new Row("the forward handler's backend call", List.of(MAIN + "handlers/ForwardHandler.java#forward-blocking"),
                    List.of(MAIN + "handlers/ForwardHandler.java#forward-async")));

    static String table(Path root) {
        if (!Files.isDirectory(root.resolve(MAIN))) return BenchFigures.MISSING;
        StringBuilder s = new StringBuilder("| | blocking and platform | async |\n| --- | --- | --- |\n");
        for (Row r : ROWS) {
            s.append("| ").append(r.what).append(" | ").append(cell(root, r.blocking)).append(" | ").append(cell(root, r.async)).append(" |\n");
        }
        s.append(String.format(Locale.ROOT, "| shared by both styles | %s | the same |\n",
                String.format(Locale.ROOT, "%,d in `server/core` (`FrameFlow`, `BufferBudget`, `ReplyQueue`, `ServedConnection`, ...), %,d in `frame/`",
                        folder(root.resolve(MAIN + "server/core")), folder(root.resolve(MAIN + "frame")))));
        s.append(String.format(Locale.ROOT, "| `CompletionHandler<...>` types written out | %d | %d |\n",
                mentions(root, MAIN + "server/blocking", "CompletionHandler<"), mentions(root, MAIN + "server/async", "CompletionHandler<")));
        return s.append("\nLines that are neither blank nor comments, counted from the source by `CodeSize` when the docs are regenerated.\n").toString();
    }

    private static String cell(Path root, List<String> parts) {
        long total = 0;
        StringBuilder names = new StringBuilder();
        for (String part : parts) {
            String[] p = part.split("#", 2);
            long n = p.length == 1 ? code(lines(root.resolve(p[0]))) : code(region(root.resolve(p[0]), p[1]));
            total += n;
            if (!names.isEmpty()) names.append(" + ");
            names.append('`').append(p.length == 1 ? Path.of(p[0]).getFileName().toString().replace(".java", "") : p[1]).append("` ").append(n);
        }
        return "**" + total + "**: " + names;
    }

    private static long folder(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.toString().endsWith(".java")).mapToLong(f -> code(lines(f))).sum();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long mentions(Path root, String dir, String text) {
        try (Stream<Path> files = Files.walk(root.resolve(dir))) {
            return files.filter(f -> f.toString().endsWith(".java"))
                    .mapToLong(f -> lines(f).stream().filter(l -> !isComment(l)).filter(l -> l.contains(text)).count()).sum();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> region(Path file, String tag) {
        List<String> all = lines(file);
        int start = -1, end = -1;
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).trim().equals("// tag::" + tag + "[]")) start = i + 1;
            if (all.get(i).trim().equals("// end::" + tag + "[]")) end = i;
        }
        if (start < 0 || end < start) throw new IllegalStateException(file + " has no region " + tag);
        return all.subList(start, end);
    }

    private static long code(List<String> lines) {
        return lines.stream().filter(l -> !l.isBlank() && !isComment(l)).count();
    }

    private static boolean isComment(String line) {
        String t = line.strip();
        return t.startsWith("//") || t.startsWith("/*") || t.startsWith("*");
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
