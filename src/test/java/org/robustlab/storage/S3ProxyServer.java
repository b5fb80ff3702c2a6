package org.robustlab.storage;

import java.net.URI;
import java.nio.file.Path;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * A real S3 API server for the tests: S3Proxy over jclouds' filesystem backend (a local folder), on
 * loopback, with AWS signature authentication. The code under test reaches it only through the AWS SDK.
 */
public final class S3ProxyServer implements AutoCloseable {

    public static final String ACCESS_KEY = "robustlab-test";
    public static final String SECRET_KEY = "robustlab-test-secret";

    private final S3Proxy proxy;
    private final BlobStoreContext context;

    public S3ProxyServer(Path folder) throws Exception {
        Properties p = new Properties();
        p.setProperty("jclouds.filesystem.basedir", folder.toAbsolutePath().toString());
        context = ContextBuilder.newBuilder("filesystem").credentials("identity", "credential").overrides(p)
                .buildView(BlobStoreContext.class);
        proxy = S3Proxy.builder().blobStore(context.getBlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY).build();
        proxy.start();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
            }
            Thread.sleep(20);
        }
    }

    public String endpoint() {
        return "http://127.0.0.1:" + proxy.getPort();
    }

    /** Settings for a store on {@code bucket} (created if missing) of this server. */
    public S3ObjectStore.Settings settings(String bucket, String prefix) {
        return new S3ObjectStore.Settings(bucket, prefix, endpoint(), "us-east-1", ACCESS_KEY, SECRET_KEY, true, true);
    }

    @Override
    public void close() throws Exception {
        proxy.stop();
        context.close();
    }
}
