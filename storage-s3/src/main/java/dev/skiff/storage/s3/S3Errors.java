package dev.skiff.storage.s3;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * Turns SDK failures (thrown after the client's retries are spent) into {@link IOException}s
 * that name the operation and the {@code s3://bucket/key}, as the storage interfaces promise.
 */
final class S3Errors {

    private S3Errors() {
    }

    /** True if {@code e} says the object or bucket does not exist. */
    static boolean isNotFound(SdkException e) {
        return e instanceof NoSuchKeyException || e instanceof NoSuchBucketException
                || e instanceof AwsServiceException service && service.statusCode() == 404;
    }

    /**
     * The IOException for a failed request.
     *
     * @param operation what was being done, for example "upload part 3 of"
     * @param where     the {@code s3://bucket/key} it was done to
     */
    static IOException io(String operation, String where, SdkException e) {
        if (e instanceof NoSuchBucketException) {
            return new FileNotFoundException("S3 " + operation + " " + where + ": the bucket does not exist");
        }
        if (isNotFound(e)) {
            return new FileNotFoundException("S3 " + operation + " " + where + ": no such object");
        }
        return new IOException("S3 " + operation + " " + where + " failed (after the client's retries): " + detail(e), e);
    }

    /** Unwraps the failure of an asynchronous step into an IOException naming {@code where}. */
    static IOException io(String operation, String where, Throwable t) {
        Throwable cause = t;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return switch (cause) {
            case IOException io -> io;
            case SdkException sdk -> io(operation, where, sdk);
            default -> new IOException("S3 " + operation + " " + where + " failed: " + cause, cause);
        };
    }

    private static String detail(SdkException e) {
        if (e instanceof AwsServiceException service && service.awsErrorDetails() != null) {
            return "HTTP " + service.statusCode() + " " + service.awsErrorDetails().errorCode() + ": "
                    + service.awsErrorDetails().errorMessage();
        }
        return e.getMessage();
    }
}
