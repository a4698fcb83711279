package dev.skiff.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

class S3LocationTest {

    private static S3Location parse(String uri) {
        return S3Location.parse(URI.create(uri), name -> null);
    }

    @Test
    void when_plainUri_then_bucketPrefixAndDefaults() {
        S3Location l = parse("s3://my-bucket/clusters/prod/");
        assertThat(l.bucket()).isEqualTo("my-bucket");
        assertThat(l.prefix()).isEqualTo("clusters/prod");
        assertThat(l.pathStyle()).isFalse();
        assertThat(l.sse()).isEmpty();
        assertThat(l.partSize()).isEqualTo(S3Location.DEFAULT_PART_SIZE);
        assertThat(l.key("a/manifest")).isEqualTo("clusters/prod/a/manifest");
        assertThat(l.listPrefix()).isEqualTo("clusters/prod/");
    }

    @Test
    void when_noPrefix_then_keysAreAtTheBucketRoot() {
        S3Location l = parse("s3://my-bucket");
        assertThat(l.prefix()).isEmpty();
        assertThat(l.key("x/data")).isEqualTo("x/data");
        assertThat(l.listPrefix()).isEmpty();
    }

    @Test
    void when_options_then_parsed() {
        S3Location l = parse("s3://b-1/p?pathStyle=true&sse=aws:kms&kmsKeyId=arn%3Aaws%3Akms%3Ax&partSizeMiB=64");
        assertThat(l.pathStyle()).isTrue();
        assertThat(l.sse()).isEqualTo("aws:kms");
        assertThat(l.kmsKeyId()).isEqualTo("arn:aws:kms:x");
        assertThat(l.partSize()).isEqualTo(64 << 20);
        assertThat(parse("s3://b-1/p?sse=AES256").sse()).isEqualTo("AES256");
    }

    @Test
    void when_pathStyleEnvironmentVariable_then_pathStyle() {
        Map<String, String> env = Map.of(S3Location.PATH_STYLE_ENV, "true");
        assertThat(S3Location.parse(URI.create("s3://bucket/p"), env::get).pathStyle()).isTrue();
    }

    @Test
    void when_badInput_then_theErrorNamesIt() {
        assertThatThrownBy(() -> parse("s3:///p")).hasMessageContaining("no bucket");
        assertThatThrownBy(() -> parse("s3://Bad_Bucket/p")).hasMessageContaining("invalid S3 bucket name 'Bad_Bucket'");
        assertThatThrownBy(() -> parse("s3://bucket/p?color=red")).hasMessageContaining("unknown option 'color'");
        assertThatThrownBy(() -> parse("s3://bucket/p?sse=rot13")).hasMessageContaining("sse must be AES256 or aws:kms");
        assertThatThrownBy(() -> parse("s3://bucket/p?kmsKeyId=k")).hasMessageContaining("kmsKeyId needs sse=aws:kms");
        assertThatThrownBy(() -> parse("s3://bucket/p?partSizeMiB=4")).hasMessageContaining("partSizeMiB");
        assertThatThrownBy(() -> parse("s3://bucket/p?partSizeMiB=lots")).hasMessageContaining("'lots'");
        assertThatThrownBy(() -> parse("file:///tmp/x")).hasMessageContaining("not an s3:// URI");
    }
}
