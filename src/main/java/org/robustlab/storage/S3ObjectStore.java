package org.robustlab.storage;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Objects in an S3-compatible bucket, through the AWS SDK for Java v2: AWS S3, MinIO, Ceph RGW, S3Proxy.
 * A PUT is atomic in S3: the object appears whole when the request completes, or not at all.
 */
public final class S3ObjectStore implements ObjectStore, AutoCloseable {

    /**
     * How to reach the bucket.
     *
     * @param bucket the bucket's name
     * @param prefix a key prefix inside the bucket (empty: the bucket's root), so that several deployments can share one
     * @param endpoint the S3 API's URL (empty: AWS's, from the region); e.g. http://minio:9000
     * @param region the region, e.g. us-east-1 (MinIO and S3Proxy accept any)
     * @param accessKey the access key id (empty: the AWS default chain: environment, profile, instance or pod role)
     * @param secretKey the secret key
     * @param pathStyle path-style URLs (http://host/bucket/key), which MinIO and S3Proxy need
     * @param createBucket create the bucket at start-up if it does not exist
     */
    public record Settings(String bucket, String prefix, String endpoint, String region, String accessKey, String secretKey,
            boolean pathStyle, boolean createBucket) {}

    private final S3Client client;
    private final String bucket;
    private final String prefix;
    private final String description;

    public S3ObjectStore(Settings s) {
        if (s.bucket() == null || s.bucket().isBlank()) {
            throw new IllegalArgumentException("robustlab.storage.s3.bucket is required when robustlab.storage.type is s3");
        }
        AwsCredentialsProvider credentials = s.accessKey() == null || s.accessKey().isBlank()
                ? DefaultCredentialsProvider.builder().build()
                : StaticCredentialsProvider.create(AwsBasicCredentials.create(s.accessKey(), s.secretKey()));
        S3ClientBuilder b = S3Client.builder()
                .region(Region.of(s.region() == null || s.region().isBlank() ? "us-east-1" : s.region()))
                .credentialsProvider(credentials)
                .forcePathStyle(s.pathStyle())
                // checksums only where the API requires them: S3-compatible servers do not all take the SDK's
                // default CRC trailers; integrity is checked end to end with the SHA-256 recorded for each model
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        if (s.endpoint() != null && !s.endpoint().isBlank()) {
            b.endpointOverride(URI.create(s.endpoint()));
        }
        this.client = b.build();
        this.bucket = s.bucket();
        String p = s.prefix() == null ? "" : s.prefix().replaceAll("^/+|/+$", "");
        this.prefix = p.isEmpty() ? "" : ObjectStore.checkKey(p) + "/";
        this.description = "s3 bucket " + bucket + (prefix.isEmpty() ? "" : " prefix " + prefix)
                + (s.endpoint() == null || s.endpoint().isBlank() ? "" : " at " + s.endpoint());
        if (s.createBucket()) {
            try {
                client.headBucket(r -> r.bucket(bucket));
            } catch (NoSuchBucketException e) {
                createBucket();
            } catch (S3Exception e) {
                if (e.statusCode() != 404) {
                    throw e;
                }
                createBucket();
            }
        }
    }

    /**
     * Creates the bucket. Several instances starting at once all find it missing and all create it: the ones that lose
     * get a 409 (BucketAlreadyOwnedByYou from AWS and MinIO), which means the bucket is there, so they go on.
     */
    void createBucket() {
        try {
            client.createBucket(r -> r.bucket(bucket));
        } catch (S3Exception e) {
            if (e.statusCode() != 409) {
                throw e;
            }
            client.headBucket(r -> r.bucket(bucket));
        }
    }

    private String full(String key) {
        return prefix + ObjectStore.checkKey(key);
    }

    @Override
    public void put(String key, Path file) throws IOException {
        String k = full(key);
        call("write", key, () -> client.putObject(r -> r.bucket(bucket).key(k), RequestBody.fromFile(file)));
    }

    @Override
    public void put(String key, byte[] bytes) throws IOException {
        String k = full(key);
        call("write", key, () -> client.putObject(r -> r.bucket(bucket).key(k), RequestBody.fromBytes(bytes)));
    }

    @Override
    public InputStream open(String key) throws IOException {
        String k = full(key);
        try {
            return client.getObject(r -> r.bucket(bucket).key(k));
        } catch (NoSuchKeyException e) {
            throw new NoSuchFileException(key);
        } catch (SdkException e) {
            throw failure("read", key, e);
        }
    }

    @Override
    public Optional<Long> size(String key) throws IOException {
        String k = full(key);
        try {
            return Optional.of(client.headObject(r -> r.bucket(bucket).key(k)).contentLength());
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw failure("look up", key, e);
        } catch (SdkException e) {
            throw failure("look up", key, e);
        }
    }

    @Override
    public void delete(String key) throws IOException {
        String k = full(key);
        call("delete", key, () -> client.deleteObject(r -> r.bucket(bucket).key(k)));
    }

    @Override
    public List<String> list(String keyPrefix) throws IOException {
        String p = prefix + keyPrefix;
        List<String> keys = new ArrayList<>();
        call("list", keyPrefix, () -> {
            for (S3Object o : client.listObjectsV2Paginator(r -> r.bucket(bucket).prefix(p)).contents()) {
                // "folder/" markers (some servers list them) are not objects of ours
                if (!o.key().endsWith("/")) {
                    keys.add(o.key().substring(prefix.length()));
                }
            }
            return null;
        });
        return keys;
    }

    @Override
    public Optional<Path> localFile(String key) {
        return Optional.empty();
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public void close() {
        client.close();
    }

    private interface Call {
        Object run();
    }

    private static void call(String what, String key, Call c) throws IOException {
        try {
            c.run();
        } catch (SdkException e) {
            throw failure(what, key, e);
        }
    }

    private static IOException failure(String what, String key, SdkException e) {
        return new IOException("could not " + what + " object " + key + " in the S3 store: " + e.getMessage(), e);
    }
}
