#!/usr/bin/env escript
%% What Elixir Chatter 0.0.15's multicast socket receives, on this machine's Erlang/OTP.
%% The receiving socket is opened with the options of 0.0.15's lib/multicast_handler.ex
%% (binary, active, add_membership, multicast_if, multicast_loop false, multicast_ttl, reuseaddr).
%% Usage: escript gen_udp_0015.escript GROUP PORT   (e.g. 239.77.1.9 45991, on 127.0.0.1)
%% Prints one line per fact: "otp R", "opts ...", "size SENT GOT", "own GOT", "other GOT".
main([GroupText, PortText]) ->
    {ok, Group} = inet:parse_ipv4_address(GroupText),
    Port = list_to_integer(PortText),
    My = {127, 0, 0, 1},
    Opts = [binary, {active, 10}, {add_membership, {Group, My}}, {multicast_if, My},
            {multicast_loop, false}, {multicast_ttl, 4}, {reuseaddr, true}],
    io:format("otp ~s~n", [erlang:system_info(otp_release)]),
    {ok, A} = gen_udp:open(Port, Opts),
    {ok, B} = gen_udp:open(Port, Opts),
    {ok, [{buffer, Buf}, {recbuf, Rec}]} = inet:getopts(A, [buffer, recbuf]),
    io:format("opts buffer ~p recbuf ~p~n", [Buf, Rec]),
    Got = fun(S) -> receive {udp, S, _, _, D} -> integer_to_list(byte_size(D))
                    after 1000 -> "none" end end,
    %% Its own datagram and another socket's, with multicast_loop false.
    ok = gen_udp:send(A, Group, Port, <<"hello">>),
    io:format("own ~s~nother ~s~n", [Got(A), Got(B)]),
    %% Datagrams of growing size from a plain sender socket.
    {ok, S} = gen_udp:open(0, [binary, {multicast_if, My}, {multicast_loop, true}]),
    [begin
         ok = gen_udp:send(S, Group, Port, binary:copy(<<7>>, N)),
         io:format("size ~p ~s~n", [N, Got(A)]),
         _ = Got(B)
     end || N <- [1400, 8192, 8193, 9216, 17048, 30000, 60000]],
    ok.
