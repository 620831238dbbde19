// A vSphere API simulator for the ESXi wizard's tests: govmomi's simulator
// (the library behind vcsim) serving an ESXi host or a vCenter over TLS on a
// loopback address, accepting one user name and password.
//
// Prints "URL https://HOST:PORT/sdk" on stdout once it accepts connections and
// exits on SIGTERM or SIGINT.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
)

// selfSigned makes a fresh certificate for the listen address, so no two runs
// share a key (the simulator's built-in test certificate has a public key pair).
func selfSigned(host string) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	template := x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: host},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP(host)},
	}
	der, err := x509.CreateCertificate(rand.Reader, &template, &template, &key.PublicKey, key)
	if err != nil {
		log.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (port 0: any free port)")
	kind := flag.String("model", "esx", "esx (a standalone ESXi host) or vpx (a vCenter)")
	username := flag.String("username", "root", "the only user name accepted")
	password := flag.String("password", "", "the only password accepted")
	certFile := flag.String("cert", "", "PEM certificate (default: a fresh self-signed one)")
	keyFile := flag.String("key", "", "PEM private key of -cert")
	flag.Parse()

	model := simulator.ESX()
	if *kind == "vpx" {
		model = simulator.VPX()
	}
	if err := model.Create(); err != nil {
		log.Fatal(err)
	}
	defer model.Remove()

	host, _, err := net.SplitHostPort(*listen)
	if err != nil {
		log.Fatal(err)
	}
	var cert tls.Certificate
	if *certFile != "" {
		if cert, err = tls.LoadX509KeyPair(*certFile, *keyFile); err != nil {
			log.Fatal(err)
		}
	} else {
		cert = selfSigned(host)
	}
	// Listen.User is what SessionManager.Login accepts; TLS makes the server https.
	model.Service.Listen = &url.URL{Host: *listen, User: url.UserPassword(*username, *password)}
	model.Service.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	server := model.Service.NewServer()
	defer server.Close()

	shown := *server.URL
	shown.User = nil // the URL line never carries the password
	fmt.Printf("URL %s\n", shown.String())
	os.Stdout.Sync()

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
}
