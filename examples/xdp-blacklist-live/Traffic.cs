using System.Net;
using System.Net.Sockets;

namespace XdpBlacklistLive;

/// <summary>Real UDP traffic across the veth pair: datagrams from each sender address, counted where they arrive.</summary>
internal static class Traffic
{
    /// <summary>Sends <paramref name="count"/> datagrams from each sender address and returns how many arrived, per source.</summary>
    public static Dictionary<IPAddress, int> SendAndCount(Lab lab, int count)
    {
        using var receiver = NetworkNamespace.Run(lab.Receiver, () =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(Lab.ReceiverAddress, Lab.Port));
            return s;
        });
        var senders = NetworkNamespace.Run(lab.Sender, () => Lab.SenderAddresses.Select(a =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(a, 0));
            return s;
        }).ToList());
        try
        {
            var target = new IPEndPoint(Lab.ReceiverAddress, Lab.Port);
            var payload = "sharpbpf xdp-blacklist-live"u8.ToArray();
            for (int i = 0; i < count; i++)
                foreach (var sender in senders)
                {
                    sender.SendTo(payload, target);
                    if (i == 0)
                        Thread.Sleep(50); // the first datagram waits for ARP; let it resolve before the rest queue up
                }

            var arrived = Lab.SenderAddresses.ToDictionary(a => a, _ => 0);
            var buffer = new byte[2048];
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            while (receiver.Poll(TimeSpan.FromMilliseconds(300), SelectMode.SelectRead)) // until quiet for 300 ms
            {
                receiver.ReceiveFrom(buffer, ref from);
                var source = ((IPEndPoint)from).Address;
                arrived[source] = arrived.GetValueOrDefault(source) + 1;
            }
            return arrived;
        }
        finally
        {
            senders.ForEach(s => s.Dispose());
        }
    }
}
