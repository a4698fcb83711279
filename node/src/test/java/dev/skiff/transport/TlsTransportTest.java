package dev.skiff.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.skiff.raft.message.InstallSnapshot;
import dev.skiff.raft.message.TimeoutNow;
import dev.skiff.tls.DevCertificates;
import dev.skiff.tls.PemFiles;
import dev.skiff.tls.ReloadingTls;
import dev.skiff.tls.TlsFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mutual TLS on the raft transport with certificates from a development CA. */
class TlsTransportTest {

    @TempDir
    Path dir;
    private final List<HttpTransport> transports = new ArrayList<>();

    @AfterEach
    void close() {
        transports.forEach(HttpTransport::close);
    }

    private ReloadingTls tls(DevCertificates ca, String node, List<String> sans) throws Exception {
        Path caFile = dir.resolve("ca-" + ca.caCertificate().getSerialNumber() + ".pem");
        if (!Files.exists(caFile)) {
            ca.writeCa(caFile, dir.resolve(caFile.getFileName() + ".key"));
        }
        ca.issue(node, sans, true, dir.resolve(node + ".pem"), dir.resolve(node + "-key.pem"));
        return ReloadingTls.load(new TlsFiles(dir.resolve(node + ".pem"), dir.resolve(node + "-key.pem"), caFile));
    }

    private HttpTransport started(ReloadingTls tls, RaftPortRefusalTest.RecordingHandler handler) throws Exception {
        HttpTransport t = new HttpTransport(HttpTransportConfig.defaults("127.0.0.1:0").withTls(tls.context()));
        transports.add(t);
        t.start(handler);
        return t;
    }

    @Test
    void peersWithCertificatesFromTheCaExchangeMessagesAndSnapshots() throws Exception {
        DevCertificates ca = DevCertificates.newCa("test CA");
        var received = new RaftPortRefusalTest.RecordingHandler();
        HttpTransport a = started(tls(ca, "a", List.of("127.0.0.1")), new RaftPortRefusalTest.RecordingHandler());
        HttpTransport b = started(tls(ca, "b", List.of("127.0.0.1")), received);

        a.send(b.localAddress(), new TimeoutNow(3, "a", a.localAddress(), "b"));

        await().atMost(Duration.ofSeconds(10)).until(() -> received.messages.size() == 1);
        var snapshot = new dev.skiff.raft.OpenSnapshot(
                new dev.skiff.raft.SnapshotMeta("s", 5, 1, dev.skiff.raft.Configuration.EMPTY, 0, 3, ""),
                new java.io.ByteArrayInputStream(new byte[] {1, 2, 3}));
        a.sendSnapshot(b.localAddress(), new InstallSnapshot(1, "a", a.localAddress(), "b", snapshot.meta()), snapshot)
                .get();
    }

    @Test
    void aPeerFromAnotherCaIsRefusedBothWays() throws Exception {
        var received = new RaftPortRefusalTest.RecordingHandler();
        HttpTransport member = started(tls(DevCertificates.newCa("cluster CA"), "m", List.of("127.0.0.1")), received);
        var strangerReceived = new RaftPortRefusalTest.RecordingHandler();
        HttpTransport stranger = started(tls(DevCertificates.newCa("other CA"), "s", List.of("127.0.0.1")), strangerReceived);

        stranger.send(member.localAddress(), new TimeoutNow(3, "s", stranger.localAddress(), "m"));
        member.send(stranger.localAddress(), new TimeoutNow(3, "m", member.localAddress(), "s"));

        await().atMost(Duration.ofSeconds(10)).until(() -> stranger.failedMessages() == 1 && member.failedMessages() == 1);
        assertThat(received.messages).isEmpty();
        assertThat(strangerReceived.messages).isEmpty();
    }

    @Test
    void aDiallerRefusesAPeerWhoseCertificateDoesNotNameTheAddressDialled() throws Exception {
        DevCertificates ca = DevCertificates.newCa("test CA");
        var received = new RaftPortRefusalTest.RecordingHandler();
        HttpTransport elsewhere = started(tls(ca, "e", List.of("10.1.2.3", "other.example")), received);
        ReloadingTls dialler = tls(ca, "d", List.of("127.0.0.1"));
        try (PeerConnection c = new PeerConnection(HostPort.parse(elsewhere.localAddress(), "t"), RaftRpcHandler.BATCH_PATH,
                Optional.empty(), Optional.of(dialler.context()), 1000, 5000)) {
            assertThatThrownBy(() -> c.post(MessageCodec.encodeBatch(List.of(new TimeoutNow(3, "d", "x:1", "e")))))
                    .isInstanceOf(javax.net.ssl.SSLHandshakeException.class)
                    .hasMessageContaining("127.0.0.1");
        }
        assertThat(received.messages).isEmpty();
    }

    @Test
    void aCertificateRotatedOnDiskIsUsedForTheNextHandshake() throws Exception {
        DevCertificates ca = DevCertificates.newCa("test CA");
        ReloadingTls tls = tls(ca, "r", List.of("127.0.0.1"));
        var before = tls.certificate().getSerialNumber();

        ca.issue("r", List.of("127.0.0.1"), true, dir.resolve("r.pem"), dir.resolve("r-key.pem"));
        var onDisk = PemFiles.certificates(dir.resolve("r.pem")).getFirst().getSerialNumber();

        await().atMost(Duration.ofSeconds(5)).until(() -> tls.certificate().getSerialNumber().equals(onDisk));
        assertThat(onDisk).isNotEqualTo(before);
    }

    @Test
    void unusableFilesAreRefusedAtStartWithTheFileNamed() throws Exception {
        DevCertificates ca = DevCertificates.newCa("test CA");
        tls(ca, "x", List.of("127.0.0.1"));
        tls(ca, "y", List.of("127.0.0.1"));
        Path caFile = dir.resolve("ca-" + ca.caCertificate().getSerialNumber() + ".pem");
        Path otherCa = dir.resolve("other-ca.pem");
        DevCertificates.newCa("other").writeCa(otherCa, dir.resolve("other-ca-key.pem"));

        assertThatThrownBy(() -> ReloadingTls.load(new TlsFiles(dir.resolve("x.pem"), dir.resolve("y-key.pem"), caFile)))
                .hasMessageContaining("does not belong to the certificate");
        assertThatThrownBy(() -> ReloadingTls.load(new TlsFiles(dir.resolve("x.pem"), dir.resolve("x-key.pem"), otherCa)))
                .hasMessageContaining("does not chain to a CA in " + otherCa);
        assertThatThrownBy(() -> ReloadingTls.load(new TlsFiles(dir.resolve("x-key.pem"), dir.resolve("x-key.pem"), caFile)))
                .hasMessageContaining("where only PEM certificates");
        assertThatThrownBy(() -> ReloadingTls.load(new TlsFiles(dir.resolve("x.pem"), dir.resolve("x.pem"), caFile)))
                .hasMessageContaining("holds no PEM private key");
    }
}
