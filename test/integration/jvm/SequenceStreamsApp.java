// A real Kafka Streams application for the integration tests (kafka-streams from Maven Central, run with Java's
// single-file source launcher): reads `input`, re-keys each record by its value and sends it through a repartition
// topic (`<application.id>-by-value-repartition`), then writes it unchanged to `output`. Every input record yields one
// output record, so the output topics are a ledger of what the application processed.
// Usage: java -cp "<kafka-streams libs>/*" SequenceStreamsApp.java <bootstrap> <application.id> <input> <output>
//        <group.protocol: classic|streams> <state dir>
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;

public class SequenceStreamsApp {
  public static void main(String[] a) throws Exception {
    Properties p = new Properties();
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, a[0]);
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, a[1]);
    p.put(StreamsConfig.GROUP_PROTOCOL_CONFIG, a[4]);
    p.put(StreamsConfig.STATE_DIR_CONFIG, a[5]);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 200);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
    p.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
    StreamsBuilder b = new StreamsBuilder();
    b.stream(a[2], Consumed.with(Serdes.String(), Serdes.String()))
        .selectKey((k, v) -> v)
        .repartition(Repartitioned.<String, String>as("by-value").withKeySerde(Serdes.String()).withValueSerde(Serdes.String()))
        .to(a[3], Produced.with(Serdes.String(), Serdes.String()));
    KafkaStreams streams = new KafkaStreams(b.build(), p);
    CountDownLatch done = new CountDownLatch(1);
    // SIGTERM: close cleanly (commits what was processed, leaves the group).
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      streams.close();
      done.countDown();
    }));
    streams.setStateListener((now, before) -> System.out.println("state " + before + " -> " + now));
    streams.start();
    done.await();
  }
}
