/**
 * The blocking style: one thread per connection, every step a plain blocking call. Virtual
 * threads for {@code --impl blocking}, platform threads for {@code --impl platform}: the same
 * code, another {@link java.util.concurrent.ThreadFactory}.
 */
package loomframe.server.blocking;
