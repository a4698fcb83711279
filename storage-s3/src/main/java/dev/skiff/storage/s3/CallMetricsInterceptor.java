package dev.skiff.storage.s3;

import dev.skiff.storage.CloudCallMeters;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

/**
 * Feeds every S3 call's latency and outcome to {@link CloudCallMeters}: timed from the SDK's
 * {@code beforeExecution} to {@code afterExecution} or {@code onExecutionFailure}, which the SDK
 * calls once per API call, so the time includes its retries. A failure is labelled with the
 * service's error code ({@code NoSuchBucket}, {@code SlowDown}) or, when the service never
 * answered, the exception's class ({@code SdkClientException}, {@code ApiCallTimeoutException}).
 */
final class CallMetricsInterceptor implements ExecutionInterceptor {

    private static final ExecutionAttribute<Long> STARTED = new ExecutionAttribute<>("skiff.s3.callStartedNanos");

    private final CloudCallMeters meters;

    CallMetricsInterceptor(CloudCallMeters meters) {
        this.meters = meters;
    }

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
        attributes.putAttribute(STARTED, System.nanoTime());
    }

    @Override
    public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
        finished(attributes, "");
    }

    @Override
    public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
        Throwable e = context.exception();
        String error = e instanceof AwsServiceException service && service.awsErrorDetails() != null
                && service.awsErrorDetails().errorCode() != null
                ? service.awsErrorDetails().errorCode() : e.getClass().getSimpleName();
        finished(attributes, error);
    }

    private void finished(ExecutionAttributes attributes, String error) {
        Long started = attributes.getAttribute(STARTED);
        if (started == null) {
            return;
        }
        meters.finished(attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME),
                attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME), System.nanoTime() - started, error);
    }
}
