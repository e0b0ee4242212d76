package loomframe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The package graph of the main sources: dependencies point one way, and the API knows no implementation. */
class ArchitectureTest {
    private static final Path MAIN = Path.of("src/main/java");
    private static final Pattern PACKAGE = Pattern.compile("^package (loomframe[\\w.]*);", Pattern.MULTILINE);
    private static final Pattern USE = Pattern.compile("\\b(loomframe(?:\\.[a-z]\\w*)*)\\.[A-Z]\\w*");

    /** Package -> the loomframe packages its classes name (imports and fully qualified names). */
    static Map<String, Set<String>> graph() throws IOException {
        Map<String, Set<String>> graph = new TreeMap<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String src = Files.readString(f);
                Matcher p = PACKAGE.matcher(src);
                if (!p.find()) continue;
                String pkg = p.group(1);
                Set<String> uses = graph.computeIfAbsent(pkg, k -> new TreeSet<>());
                String body = src.replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\\n]*", "")   // not comments,
                        .replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"");                        // nor strings (JFR event names)
                Matcher u = USE.matcher(body);
                while (u.find()) if (!u.group(1).equals(pkg)) uses.add(u.group(1));
            }
        }
        return graph;
    }

    @Test
    void noPackageDependsOnAPackageThatDependsOnIt() throws IOException {
        Map<String, Set<String>> graph = graph();
        List<String> cycles = new ArrayList<>();
        for (String from : graph.keySet()) {
            for (String to : graph.get(from)) {
                if (reaches(graph, to, from, new TreeSet<>())) cycles.add(from + " -> " + to + " -> ... -> " + from);
            }
        }
        assertEquals(List.of(), cycles, "package cycles in " + graph);
    }

    @Test
    void theApiKnowsNoImplementationAndTheWireFormatNoServer() throws IOException {
        Map<String, Set<String>> graph = graph();
        assertEquals(Set.of(), graph.get("loomframe.frame"), "loomframe.frame depends on nothing else of loomframe");
        assertEquals(Set.of("loomframe.frame"), graph.get("loomframe.server"), "the API depends on the wire format only");
        assertTrue(graph.get("loomframe.server.blocking").stream().noneMatch(p -> p.startsWith("loomframe.server.async")));
        assertTrue(graph.get("loomframe.server.async").stream().noneMatch(p -> p.startsWith("loomframe.server.blocking")));
        assertTrue(graph.get("loomframe.client").stream().noneMatch(p -> p.startsWith("loomframe.server")),
                "the client needs no server: " + graph.get("loomframe.client"));
    }

    private static boolean reaches(Map<String, Set<String>> graph, String from, String target, Set<String> seen) {
        if (from.equals(target)) return true;
        if (!seen.add(from)) return false;
        for (String next : graph.getOrDefault(from, Set.of())) if (reaches(graph, next, target, seen)) return true;
        return false;
    }
}
