package loomframe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import loomframe.Loomframe;
import loomframe.TestTls;
import loomframe.server.Impl;
import loomframe.server.Server;
import loomframe.server.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code serve}, {@code send} and {@code load} with the TLS flags, and every TLS usage error. */
@Timeout(90)
class TlsCliTest {
    private static final Pattern READY = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+) \\(impl async, tls TLSv1\\.3/TLSv1\\.2, handler echo, .*\\)");

    private static String f(String name) {
        return TestTls.file(name).toString();
    }

    @Test
    void servesTlsFromPemFilesToSendAndLoadAndSaysSoWhenReady() throws Exception {
        try (var serve = ServeCommandTest.Child.start("serve", "--port", "0", "--impl", "async",
                "--tls-cert", f("server.pem"), "--tls-key", f("server-key.pem"))) {
            String ready = serve.nextLine();
            Matcher m = READY.matcher(ready);
            assertTrue(m.matches(), "readiness line: " + ready);
            String port = m.group(1);

            CliRun send = CliRun.of("send", "--port", port, "--tls", "--tls-ca", f("ca.pem"), "--message", "hello", "--count", "3");
            assertEquals(0, send.code(), send.toString());
            assertTrue(send.out().contains("all 3 echoes verified"), send.toString());

            CliRun load = CliRun.of("load", "--port", port, "--tls-ca", f("ca.pem"), "--connections", "4", "--size", "1KiB",
                    "--pipeline", "4", "--duration", "500ms", "--warmup", "200ms", "--json");
            assertEquals(0, load.code(), load.toString());
            assertTrue(load.out().contains("\"errors\":0"), load.toString());

            CliRun untrusted = CliRun.of("send", "--port", port, "--tls", "--message", "hi");   // the JDK's trust store
            assertEquals(1, untrusted.code(), untrusted.toString());
            assertTrue(untrusted.err().contains("over TLS: handshake failed: the server's certificate is not signed by a trusted CA (--tls-ca"),
                    untrusted.toString());

            CliRun wrongName = CliRun.of("send", "--port", port, "--tls-ca", f("ca.pem"), "--tls-server-name", "example.org", "--message", "hi");
            assertEquals(1, wrongName.code(), wrongName.toString());
            assertTrue(wrongName.err().contains("is not for example.org (--tls-server-name)"), wrongName.toString());

            CliRun insecure = CliRun.of("send", "--port", port, "--tls-insecure", "--message", "hi");
            assertEquals(0, insecure.code(), insecure.toString());
            assertTrue(insecure.err().startsWith("loomframe: warning: --tls-insecure: the server's certificate is not checked"), insecure.toString());

            CliRun plain = CliRun.of("send", "--port", port, "--message", "hi", "--timeout", "5s");
            assertEquals(1, plain.code(), "a plaintext client is refused: " + plain);

            serve.process.destroy();
            assertTrue(serve.process.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, serve.process.exitValue(), serve.toString());
            assertTrue(serve.lastLine().contains("tls=3"), "two untrusting clients and a plaintext one, counted under tls: " + serve);
            assertTrue(serve.errLines().stream().anyMatch(l -> l.contains("closed: handshake failed: plaintext on a TLS port? first bytes 00 00 00 02")),
                    serve.toString());
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void sendsWithAClientCertificateToAServerThatRequiresOne(Impl impl) throws Exception {
        try (Server server = Loomframe.start(ServerConfig.builder().impl(impl).port(0).tls(TestTls.server(true)).build())) {
            String port = "" + server.port();
            CliRun with = CliRun.of("send", "--port", port, "--tls-ca", f("ca.pem"), "--tls-cert", f("client.pem"),
                    "--tls-key", f("client-key.pem"), "--message", "mutual");
            assertEquals(0, with.code(), with.toString());
            CliRun without = CliRun.of("send", "--port", port, "--tls-ca", f("ca.pem"), "--message", "x");
            assertEquals(1, without.code(), without.toString());
            assertTrue(without.err().contains("certificate"), without.toString());
        }
    }

    @Test
    void refusesTlsFilesThatCannotWork() throws Exception {
        Path dir = TestTls.dir();
        Path encrypted = dir.resolve("encrypted-key.pem");
        Files.writeString(encrypted, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n");
        Path pkcs1 = dir.resolve("pkcs1-key.pem");
        Files.writeString(pkcs1, "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n");
        Path noCert = dir.resolve("no-cert.pem");
        Files.writeString(noCert, "hello\n");
        String[][] cases = {
                {"--tls-key needs --tls-cert (the certificate chain of that key)", "serve", "--port", "0", "--tls-key", f("server-key.pem")},
                {"--tls-cert needs --tls-key (the private key of that certificate)", "serve", "--port", "0", "--tls-cert", f("server.pem")},
                {"--tls-client-ca needs --tls-cert and --tls-key", "serve", "--port", "0", "--tls-client-ca", f("ca.pem")},
                {"--tls-cert /no/such.pem: no such file", "serve", "--port", "0", "--tls-cert", "/no/such.pem", "--tls-key", f("server-key.pem")},
                {"--tls-key does not match the certificate in --tls-cert (server-key.pem is an EC key, the certificate for CN=localhost has an RSA public key)",
                        "serve", "--port", "0", "--tls-cert", f("server-rsa.pem"), "--tls-key", f("server-key.pem")},
                {"--tls-key does not match the certificate in --tls-cert (rogue-key.pem is another EC key than the one the certificate for CN=localhost was issued to)",
                        "serve", "--port", "0", "--tls-cert", f("server.pem"), "--tls-key", f("rogue-key.pem")},
                {"--tls-key " + encrypted + " is encrypted (BEGIN ENCRYPTED PRIVATE KEY): give an unencrypted PKCS#8 key (openssl pkcs8 -topk8 -nocrypt",
                        "serve", "--port", "0", "--tls-cert", f("server.pem"), "--tls-key", encrypted.toString()},
                {"is in the older PKCS#1 format (BEGIN RSA PRIVATE KEY): give a PKCS#8 key",
                        "serve", "--port", "0", "--tls-cert", f("server-rsa.pem"), "--tls-key", pkcs1.toString()},
                {"--tls-cert " + noCert + ": no certificate in it (expected PEM: -----BEGIN CERTIFICATE-----)",
                        "serve", "--port", "0", "--tls-cert", noCert.toString(), "--tls-key", f("server-key.pem")},
                {"--tls-key needs --tls-cert", "send", "--tls", "--tls-key", f("client-key.pem"), "--message", "x"},
                {"--tls-ca /no/ca.pem: no such file", "send", "--tls-ca", "/no/ca.pem", "--message", "x"},
                {"--tls-insecure and --tls-ca contradict each other", "load", "--tls-insecure", "--tls-ca", f("ca.pem"), "--connections", "1", "--size", "1"},
        };
        for (String[] c : cases) {
            String[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
            CliRun run = CliRun.of(args);
            assertEquals(2, run.code(), String.join(" ", args) + "\n" + run);
            assertTrue(run.err().startsWith("loomframe: ") && run.err().contains(c[0]), "expected '" + c[0] + "'\n" + run);
            assertEquals(1, run.err().strip().lines().count(), "one line: " + run);
            assertEquals("", run.out());
        }
    }

    @Test
    void acceptsAnRsaCertificateAndKey() throws Exception {
        var context = loomframe.tls.TlsFiles.serverContext(TestTls.file("server-rsa.pem"), TestTls.file("server-rsa-key.pem"), null);
        try (Server server = Loomframe.start(ServerConfig.builder().port(0).tls(loomframe.server.ServerTls.of(context,
                loomframe.server.ServerTls.ClientAuth.NONE)).build())) {
            CliRun send = CliRun.of("send", "--port", "" + server.port(), "--tls-ca", f("ca.pem"), "--message", "rsa");
            assertEquals(0, send.code(), send.toString());
        }
    }
}
