/* The program's own (local) view of a packet header for core_packet.c. Tests give the engines a target BTF
 * in which struct core_hdr has another layout (members moved, seq and port wider, bitfields elsewhere, no
 * 'missing'); CO-RE relocations must make the program read the packet in that target layout. */
#ifndef CORE_PACKET_H
#define CORE_PACKET_H

struct core_hdr {
    __u8 kind;
    __u16 port;
    __u32 seq;
    unsigned int flags : 4;
    int prio : 3;
    int delta;
    __u8 missing;
    __u64 *next;
} __attribute__((preserve_access_index));

enum core_kind {
    CORE_KIND_PING = 3,
};

struct core_out {
    __u64 kind;
    __u64 port;
    __u64 seq;
    __u64 flags;
    __s64 prio;
    __s64 delta;
    __u64 missing_exists;
    __u64 seq_offset;
    __u64 seq_size;
    __u64 hdr_size;
    __u64 next;
};

#endif
