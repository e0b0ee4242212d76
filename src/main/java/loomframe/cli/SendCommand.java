package loomframe.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.Callable;
import javax.net.ssl.SSLException;
import loomframe.client.FrameClient;
import loomframe.tls.ClientTls;
import loomframe.server.core.Durations;
import loomframe.frame.FrameException;
import loomframe.frame.FrameFormat;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code loomframe send}: sends K frames on one connection and checks each echo byte for byte;
 * with {@code --no-reply}, sends, closes and is done (the classic C# sample's one-way client).
 */
@Command(name = "send", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Send frames to a server and verify each echo byte for byte.",
                "With --no-reply: send, close and exit once everything was written (the C# sample's one-way client)."},
        footer = {"", "Examples:",
                "  loomframe send --message hello",
                "  loomframe send --size 64KiB --count 100",
                "  loomframe send --byte-order little --no-reply --message hi    # to the C# sample server",
                "  loomframe send --tls --tls-ca ca.pem --message hello           # over TLS, trusting ca.pem",
                "", "Exit codes: 0 all echoes verified (or all sent with --no-reply), 1 refused, mismatch, lost or late reply, 2 usage error."})
final class SendCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ServerAddress server;

    @Mixin
    FramingOptions framing;

    @Mixin
    TlsClientOptions tlsOptions;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Payload payload;

    static final class Payload {
        @Option(names = "--message", paramLabel = "TEXT", description = "Send TEXT (UTF-8).")
        String message;

        @Option(names = "--file", paramLabel = "PATH", description = "Send the bytes of a file.")
        Path file;

        @Option(names = "--size", paramLabel = "SIZE", converter = SizeConverter.class,
                description = "Send SIZE random bytes, e.g. 1024 or 64KiB.")
        Long size;
    }

    @Option(names = "--count", paramLabel = "K", defaultValue = "1", description = "Frames to send (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--no-reply", description = "Do not wait for replies: send, close, exit 0 once all is written.")
    boolean noReply;

    @Option(names = "--timeout", paramLabel = "D", defaultValue = "10s", converter = DurationConverter.class,
            description = "Longest wait to connect and for each reply (default: ${DEFAULT-VALUE}; 0 = forever).")
    Duration timeout;

    @Override
    public Integer call() {
        FrameFormat format = framing.format(spec.commandLine());
        if (count < 1) throw usage("--count must be at least 1, got " + count);
        if (server.problem() != null) throw usage(server.problem());
        ClientTls tls = clientTls();
        byte[] data = payloadBytes();
        if (data.length > format.maxFrame() || data.length > format.largestEncodablePayload()) {
            throw usage("payload of " + data.length + " bytes exceeds the largest frame "
                    + Math.min(format.maxFrame(), format.largestEncodablePayload()) + " (" + format.describeLength()
                    + ", --max-frame " + format.maxFrame() + ")");
        }
        PrintWriter out = spec.commandLine().getOut();
        String target = server.toString();
        int replied = 0;
        long start = System.nanoTime();
        try (var client = connect(format, tls)) {
            if (noReply) {
                for (int i = 0; i < count; i++) client.write(data);
                client.flush();
                out.printf("sent %s of %d bytes to %s (%s), not waiting for replies%n",
                        frames(count), data.length, target, format.describeLength());
                return Main.OK;
            }
            for (int i = 1; i <= count; i++) {
                client.send(data);
                byte[] reply = receive(client, i);
                verify(data, reply, i);
                replied++;
            }
        } catch (IOException e) {
            throw new CommandFailure("connection to " + target + " failed: " + e.getMessage() + (tls == null || replied > 0 ? ""
                    : " (over TLS 1.3 a server refuses a missing or untrusted client certificate only after the handshake:"
                    + " does it require one? --tls-cert, --tls-key)"), e);
        }
        long micros = (System.nanoTime() - start) / 1000;
        out.printf("sent %s of %d bytes to %s (%s), %s verified in %s%n", frames(count), data.length, target,
                format.describeLength(), count == 1 ? "echo" : "all " + count + " echoes", micros(micros));
        return Main.OK;
    }

    private ClientTls clientTls() {
        try {
            return tlsOptions.clientTls(server.host, spec.commandLine().getErr());
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
    }

    private FrameClient connect(FrameFormat format, ClientTls tls) {
        try {
            return FrameClient.connect(server.host, server.port, format, timeout, tls);
        } catch (ConnectException e) {
            throw new CommandFailure("cannot connect to " + server + ": " + e.getMessage()
                    + " (is 'loomframe serve' running there?)", e);
        } catch (SSLException e) {
            throw new CommandFailure("cannot connect to " + server + " over TLS: " + e.getMessage(), e);
        } catch (SocketTimeoutException e) {
            throw new CommandFailure("cannot connect to " + server + ": no answer within "
                    + Durations.format(timeout) + " (--timeout)", e);
        } catch (IOException e) {
            throw new CommandFailure("cannot connect to " + server + ": " + e, e);
        }
    }

    private byte[] receive(FrameClient client, int i) throws IOException {
        try {
            byte[] reply = client.receive();
            if (reply == null) {
                throw new CommandFailure("reply " + i + " of " + count + " lost: the server closed the connection after "
                        + (i - 1) + " of " + count + " replies");
            }
            return reply;
        } catch (SocketTimeoutException e) {
            throw new CommandFailure("no reply " + i + " of " + count + " within " + Durations.format(timeout)
                    + " (--timeout); a discard server never replies: use --no-reply", e);
        } catch (FrameException e) {
            throw new CommandFailure("reply " + i + " of " + count + " is not a valid frame: " + e.getMessage(), e);
        }
    }

    private void verify(byte[] sent, byte[] reply, int i) {
        int at = Arrays.mismatch(sent, reply);
        if (at < 0) return;
        String where = at >= sent.length || at >= reply.length
                ? "reply is " + reply.length + " bytes, sent " + sent.length
                : "first difference at byte " + at + " of " + sent.length + " (sent 0x" + HexFormat.of().toHexDigits(sent[at])
                        + ", got 0x" + HexFormat.of().toHexDigits(reply[at]) + ")";
        throw new CommandFailure("reply " + i + " of " + count + " differs from what was sent: " + where);
    }

    private byte[] payloadBytes() {
        if (payload.message != null) return payload.message.getBytes(StandardCharsets.UTF_8);
        if (payload.file != null) {
            try {
                return Files.readAllBytes(payload.file);
            } catch (NoSuchFileException e) {
                throw usage("--file " + payload.file + ": no such file");
            } catch (IOException | OutOfMemoryError e) {
                throw usage("--file " + payload.file + ": cannot read it: " + e);
            }
        }
        if (payload.size > Integer.MAX_VALUE - 8) throw usage("--size must be at most " + (Integer.MAX_VALUE - 8) + ", got " + payload.size);
        byte[] random = new byte[(int) (long) payload.size];
        new Random().nextBytes(random);
        return random;
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    private static String frames(int n) {
        return n == 1 ? "1 frame" : n + " frames";
    }

    static String micros(long us) {
        if (us < 10_000) return us + "us";
        if (us < 10_000_000) return us / 1000 + "ms";
        return String.format("%.1fs", us / 1e6);
    }
}
