"""The ROS 1 node (bisenet-ros); ROS images, bags and topics themselves are runtime sources and sinks."""
