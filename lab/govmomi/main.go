// vcsim-lab: VMware's own vCenter simulator (govmomi 0.24, simulator.VPX()) with a configurable
// inventory shape, served over TLS on 127.0.0.1, for tests and benchmarks of the vCenter collector.
//
// What it adds to the stock simulator (docs/vcenter.md, "The lab simulator", lists the quirks it works around):
//   - RetrievePropertiesEx honours options.maxObjects and pages with ContinueRetrievePropertiesEx,
//     as a real vCenter does (the stock simulator returns everything at once);
//   - QueryPerf answers deterministically, like a real vCenter: 20-second samples on 20-second
//     boundaries, a one-hour realtime window, startTime exclusive / endTime inclusive, instance "*"
//     expanded to the VM's disks ("scsi0:0") and NICs (device key), and -1 for "no data"; values are
//     FNV-1a hashes the tests recompute;
//   - a simulated clock (ServiceInstance.CurrentTime and QueryPerf) that tests can move forward;
//   - /lab/* control endpoints: clock, per-call delay, and per-method call counts.
//
// It prints one JSON line on stdout with the URL, credentials and certificate thumbprint, then
// serves until SIGINT/SIGTERM or until stdin closes (so it never outlives the test that started it).
package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"io/ioutil"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// ---- simulated clock ------------------------------------------------------------------------

var clockOffsetNs int64

func simNow() time.Time {
	return time.Now().Add(time.Duration(atomic.LoadInt64(&clockOffsetNs)))
}

// ---- call counting --------------------------------------------------------------------------

var (
	callsMu       sync.Mutex
	calls         = map[string]int{}
	perfMaxEntity int
	perfMaxIds    int
	perfInFlight  int
	perfMaxFlight int
	returnvalRe   = regexp.MustCompile(`(<returnval[^>]*>)[^<]*(</returnval>)`)
	methodRe      = regexp.MustCompile(`<(?:[A-Za-z0-9_]+:)?Body[^>]*>\s*<(?:[A-Za-z0-9_]+:)?([A-Za-z0-9_]+)`)
)

func countCall(name string) {
	callsMu.Lock()
	calls[name]++
	callsMu.Unlock()
}

// ---- paging PropertyCollector ---------------------------------------------------------------

// PagingPC embeds the PropertyCollector by value: the simulator makes a per-session copy with
// reflect.New of the registered type, which must work from the zero value.
type PagingPC struct {
	simulator.PropertyCollector
}

type pendingPage struct {
	objects []types.ObjectContent
	max     int
}

var (
	pagesMu   sync.Mutex
	pages     = map[string]*pendingPage{}
	pageToken int64
)

func cutPage(res *types.RetrieveResult, max int) {
	if max <= 0 || len(res.Objects) <= max {
		return
	}
	rest := append([]types.ObjectContent(nil), res.Objects[max:]...)
	res.Objects = res.Objects[:max]
	token := strconv.FormatInt(atomic.AddInt64(&pageToken, 1), 10)
	pagesMu.Lock()
	pages[token] = &pendingPage{objects: rest, max: max}
	pagesMu.Unlock()
	res.Token = token
}

func (pc *PagingPC) RetrievePropertiesEx(ctx *simulator.Context, r *types.RetrievePropertiesEx) soap.HasFault {
	body := pc.PropertyCollector.RetrievePropertiesEx(ctx, r).(*methods.RetrievePropertiesExBody)
	if body.Fault_ != nil || body.Res == nil || body.Res.Returnval == nil {
		return body
	}
	cutPage(body.Res.Returnval, int(r.Options.MaxObjects))
	return body
}

func (pc *PagingPC) ContinueRetrievePropertiesEx(ctx *simulator.Context, r *types.ContinueRetrievePropertiesEx) soap.HasFault {
	body := &methods.ContinueRetrievePropertiesExBody{}
	pagesMu.Lock()
	p, ok := pages[r.Token]
	delete(pages, r.Token)
	pagesMu.Unlock()
	if !ok {
		body.Fault_ = simulator.Fault("unknown or expired token", &types.InvalidArgument{InvalidProperty: "token"})
		return body
	}
	res := &types.RetrieveResult{Objects: p.objects}
	cutPage(res, p.max)
	body.Res = &types.ContinueRetrievePropertiesExResponse{Returnval: *res}
	return body
}

func (pc *PagingPC) CancelRetrievePropertiesEx(ctx *simulator.Context, r *types.CancelRetrievePropertiesEx) soap.HasFault {
	pagesMu.Lock()
	delete(pages, r.Token)
	pagesMu.Unlock()
	return &methods.CancelRetrievePropertiesExBody{Res: &types.CancelRetrievePropertiesExResponse{}}
}

// ---- deterministic realtime performance -----------------------------------------------------

type LabPerf struct {
	simulator.PerformanceManager                  // by value: the property collector digs the mo type out of field 0
	names                        map[int32]string // counter key -> "group.name.rollup"
}

const realtimeSamples = 180 // one hour of 20-second samples

// Value is the FNV-1a hash of "vm|counter|instance|epochSeconds", scaled per counter; the tests
// recompute it, so every converted value can be checked. 1 in 97 is -1 ("no data").
func perfValue(vm, counter, instance string, ts int64) int64 {
	h := fnv.New32a()
	fmt.Fprintf(h, "%s|%s|%s|%d", vm, counter, instance, ts)
	v := int64(h.Sum32())
	if v%97 == 0 {
		return -1
	}
	// Never 0: govmomi's XML encoder drops zero elements of an omitempty slice, which would shift the
	// series against its timestamps (a real vCenter sends <value>0</value>).
	var r int64
	switch counter {
	case "cpu.usage.average", "mem.usage.average":
		r = v % 10001
	case "virtualDisk.read.average", "virtualDisk.write.average":
		r = v % 100000
	case "virtualDisk.numberReadAveraged.average", "virtualDisk.numberWriteAveraged.average":
		r = v % 5000
	case "net.received.average", "net.transmitted.average":
		r = v % 50000
	default:
		r = v % 1000
	}
	if r == 0 {
		r = 1
	}
	return r
}

func deviceInstances(vm *simulator.VirtualMachine) (disks []string, nics []string) {
	if vm.Config == nil {
		return nil, nil
	}
	ctrl := map[int32]string{}
	for _, d := range vm.Config.Hardware.Device {
		dev := d.GetVirtualDevice()
		switch c := d.(type) {
		case *types.VirtualIDEController:
			ctrl[dev.Key] = fmt.Sprintf("ide%d", c.BusNumber)
		case *types.VirtualNVMEController:
			ctrl[dev.Key] = fmt.Sprintf("nvme%d", c.BusNumber)
		case types.BaseVirtualSCSIController:
			ctrl[dev.Key] = fmt.Sprintf("scsi%d", c.GetVirtualSCSIController().BusNumber)
		case types.BaseVirtualSATAController:
			ctrl[dev.Key] = fmt.Sprintf("sata%d", c.GetVirtualSATAController().BusNumber)
		}
	}
	for _, d := range vm.Config.Hardware.Device {
		dev := d.GetVirtualDevice()
		if _, ok := d.(*types.VirtualDisk); ok && dev.UnitNumber != nil {
			disks = append(disks, fmt.Sprintf("%s:%d", ctrl[dev.ControllerKey], *dev.UnitNumber))
		}
		if _, ok := d.(types.BaseVirtualEthernetCard); ok {
			nics = append(nics, strconv.Itoa(int(dev.Key)))
		}
	}
	return disks, nics
}

func (p *LabPerf) QueryPerf(ctx *simulator.Context, req *types.QueryPerf) soap.HasFault {
	countCall("QueryPerf")
	callsMu.Lock()
	if len(req.QuerySpec) > perfMaxEntity {
		perfMaxEntity = len(req.QuerySpec)
	}
	ids := 0
	for _, qs := range req.QuerySpec {
		ids += len(qs.MetricId)
	}
	if ids > perfMaxIds {
		perfMaxIds = ids
	}
	callsMu.Unlock()

	body := &methods.QueryPerfBody{Res: &types.QueryPerfResponse{}}
	newest := simNow().Unix() / 20 * 20
	oldest := newest - (realtimeSamples-1)*20
	for _, qs := range req.QuerySpec {
		obj := simulator.Map.Get(qs.Entity)
		if obj == nil {
			// What a real vCenter says when a VM went away between inventory and poll.
			body.Fault_ = simulator.Fault("The object has already been deleted or has not been completely created", &types.ManagedObjectNotFound{Obj: qs.Entity})
			return body
		}
		vm, ok := obj.(*simulator.VirtualMachine)
		if !ok || qs.Entity.Type != "VirtualMachine" {
			body.Fault_ = simulator.Fault("only VirtualMachine entities are simulated", &types.InvalidArgument{InvalidProperty: "entity"})
			return body
		}
		if qs.IntervalId != 20 {
			body.Fault_ = simulator.Fault("only the realtime interval (20) is simulated", &types.InvalidArgument{InvalidProperty: "intervalId"})
			return body
		}
		metrics := &types.PerfEntityMetric{PerfEntityMetricBase: types.PerfEntityMetricBase{Entity: qs.Entity}}
		if vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn {
			body.Res.Returnval = append(body.Res.Returnval, metrics)
			continue
		}
		from, to := oldest, newest
		if qs.StartTime != nil && qs.StartTime.Unix()/20*20+20 > from {
			from = qs.StartTime.Unix()/20*20 + 20 // startTime is exclusive
		}
		if qs.EndTime != nil && qs.EndTime.Unix()/20*20 < to {
			to = qs.EndTime.Unix() / 20 * 20
		}
		var stamps []int64
		for ts := from; ts <= to; ts += 20 {
			stamps = append(stamps, ts)
		}
		if qs.MaxSample > 0 && len(stamps) > int(qs.MaxSample) {
			stamps = stamps[len(stamps)-int(qs.MaxSample):]
		}
		if len(stamps) == 0 {
			body.Res.Returnval = append(body.Res.Returnval, metrics)
			continue
		}
		for _, ts := range stamps {
			metrics.SampleInfo = append(metrics.SampleInfo, types.PerfSampleInfo{Timestamp: time.Unix(ts, 0).UTC(), Interval: 20})
		}
		disks, nics := deviceInstances(vm)
		for _, mid := range qs.MetricId {
			name, known := p.names[mid.CounterId]
			if !known {
				body.Fault_ = simulator.Fault("unknown counter", &types.InvalidArgument{InvalidProperty: "counterId"})
				return body
			}
			instances := []string{mid.Instance}
			if mid.Instance == "*" {
				switch strings.SplitN(name, ".", 2)[0] {
				case "virtualDisk":
					instances = disks
				case "net":
					instances = append([]string{""}, nics...) // the VM aggregate comes with the per-NIC rows
				default:
					instances = []string{""}
				}
			}
			for _, inst := range instances {
				series := &types.PerfMetricIntSeries{PerfMetricSeries: types.PerfMetricSeries{Id: types.PerfMetricId{CounterId: mid.CounterId, Instance: inst}}}
				for _, ts := range stamps {
					series.Value = append(series.Value, perfValue(qs.Entity.Value, name, inst, ts))
				}
				metrics.Value = append(metrics.Value, series)
			}
		}
		body.Res.Returnval = append(body.Res.Returnval, metrics)
	}
	return body
}

// ---- inventory shaping ----------------------------------------------------------------------

func vmNumber(ref string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(ref, "vm-"))
	return n
}

var guests = []struct{ id, full string }{
	{"windows9Server64Guest", "Microsoft Windows Server 2016 or later (64-bit)"},
	{"rhel8_64Guest", "Red Hat Enterprise Linux 8 (64-bit)"},
	{"ubuntu64Guest", "Ubuntu Linux (64-bit)"},
	{"windows2019srv_64Guest", "Microsoft Windows Server 2019 (64-bit)"},
	{"otherGuest", "Other (32-bit)"},
}

type shapeResult struct {
	VMs        int `json:"vms"`
	Templates  int `json:"templates"`
	PoweredOff int `json:"poweredOff"`
}

// shape varies the otherwise identical simulator VMs (deterministically by position) so the
// inventory comparison means something: CPUs, memory, firmware, guest OS, a second disk,
// guest IPs, powered-off VMs and templates.
func shape(offShare float64, templates int) shapeResult {
	var vms []*simulator.VirtualMachine
	for _, e := range simulator.Map.All("VirtualMachine") {
		if vm, ok := e.(*simulator.VirtualMachine); ok {
			vms = append(vms, vm)
		}
	}
	sort.Slice(vms, func(i, j int) bool { return vmNumber(vms[i].Self.Value) < vmNumber(vms[j].Self.Value) })
	res := shapeResult{}
	for i, vm := range vms {
		g := guests[i%len(guests)]
		vm.Config.GuestId, vm.Config.GuestFullName = g.id, g.full
		vm.Summary.Config.GuestId, vm.Summary.Config.GuestFullName = g.id, g.full
		vm.Guest.GuestId, vm.Guest.GuestFullName = g.id, g.full
		cpus, mem := int32(1+i%8), int32(1024*(1+i%4))
		vm.Config.Hardware.NumCPU, vm.Config.Hardware.MemoryMB = cpus, mem
		vm.Summary.Config.NumCpu, vm.Summary.Config.MemorySizeMB = cpus, mem
		if i%4 == 1 {
			vm.Config.Firmware = "efi"
		} else {
			vm.Config.Firmware = "bios"
		}
		var disk *types.VirtualDisk
		var nicMac string
		for _, d := range vm.Config.Hardware.Device {
			switch dev := d.(type) {
			case *types.VirtualDisk:
				if disk == nil {
					disk = dev
				}
			case types.BaseVirtualEthernetCard:
				nicMac = dev.GetVirtualEthernetCard().MacAddress
			}
		}
		if disk != nil {
			gb := int64(16 + i%64)
			disk.CapacityInKB = gb << 20
			disk.CapacityInBytes = gb << 30
			if i%3 == 0 {
				second := *disk
				unit := int32(1)
				second.UnitNumber = &unit
				second.Key = disk.Key + 1
				second.CapacityInKB = (gb * 2) << 20
				second.CapacityInBytes = (gb * 2) << 30
				if b, ok := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo); ok {
					nb := *b
					nb.FileName = strings.Replace(b.FileName, "disk1.vmdk", "disk2.vmdk", 1)
					second.Backing = &nb
				}
				vm.Config.Hardware.Device = append(vm.Config.Hardware.Device, &second)
			}
		}
		switch {
		case i >= len(vms)-templates:
			vm.Config.Template = true
			vm.Summary.Config.Template = true
			setPower(vm, types.VirtualMachinePowerStatePoweredOff)
			res.Templates++
			continue
		case offShare > 0 && int(float64(i+1)*offShare) > int(float64(i)*offShare):
			setPower(vm, types.VirtualMachinePowerStatePoweredOff)
			res.PoweredOff++
		default:
			ip := fmt.Sprintf("10.%d.%d.%d", (i>>16)&255, (i>>8)&255, i&255+1)
			vm.Guest.IpAddress = ip
			vm.Summary.Guest.IpAddress = ip
			vm.Guest.Net = []types.GuestNicInfo{{Network: "VM Network", MacAddress: nicMac, Connected: true, DeviceConfigId: 4000, IpAddress: []string{ip, fmt.Sprintf("fe80::%x", i+1)}}}
		}
		res.VMs++
	}
	return res
}

func setPower(vm *simulator.VirtualMachine, state types.VirtualMachinePowerState) {
	vm.Runtime.PowerState = state
	vm.Summary.Runtime.PowerState = state
	vm.Guest.Net = nil
	vm.Guest.IpAddress = ""
	vm.Summary.Guest.IpAddress = ""
}

// ---- main -----------------------------------------------------------------------------------

func main() {
	dcs := flag.Int("datacenters", 1, "datacenters")
	clusters := flag.Int("clusters", 1, "clusters per datacenter")
	clusterHosts := flag.Int("cluster-hosts", 2, "hosts per cluster")
	hosts := flag.Int("hosts", 1, "standalone hosts per datacenter")
	vms := flag.Int("vms", 2, "VMs per standalone host and per cluster")
	offShare := flag.Float64("powered-off", 0.2, "share of VMs powered off (0..1)")
	templates := flag.Int("templates", 1, "VMs turned into templates (taken from the end)")
	folders := flag.Int("folders", 0, "datacenters placed inside a folder, each with its own host/vm folders nested too")
	delay := flag.Int("delay-ms", 0, "delay every SOAP call by this many milliseconds")
	user := flag.String("user", "lab", "user name accepted by Login")
	pass := flag.String("password", "lab-password", "password accepted by Login")
	stdinExit := flag.Bool("exit-on-stdin-eof", true, "exit when stdin closes")
	genCert := flag.String("gencert", "", "only write a fresh self-signed cert.pem and key.pem for 127.0.0.1 into this folder, then exit (for tests' other TLS servers)")
	flag.Parse()
	log.SetOutput(os.Stderr)
	if *genCert != "" {
		if err := writeCertificate(*genCert); err != nil {
			log.Fatalf("writing a certificate: %v", err)
		}
		return
	}

	model := simulator.VPX()
	model.Datacenter, model.Cluster, model.ClusterHost, model.Host, model.Machine = *dcs, *clusters, *clusterHosts, *hosts, *vms
	model.Portgroup = 0
	model.Folder = *folders
	if err := model.Create(); err != nil {
		log.Fatalf("creating the simulated inventory: %v", err)
	}
	defer model.Remove()
	shaped := shape(*offShare, *templates)

	// Wrap the objects whose behaviour we change.
	pcRef := model.ServiceContent.PropertyCollector
	pc := &PagingPC{}
	pc.Self = pcRef
	simulator.Map.Put(pc)
	pmRef := *model.ServiceContent.PerfManager
	pm := simulator.Map.Get(pmRef).(*simulator.PerformanceManager)
	names := map[int32]string{}
	for _, c := range pm.PerfCounter {
		names[c.Key] = c.GroupInfo.GetElementDescription().Key + "." + c.NameInfo.GetElementDescription().Key + "." + string(c.RollupType)
	}
	simulator.Map.Put(&LabPerf{PerformanceManager: *pm, names: names})

	model.DelayConfig.Delay = *delay
	model.Service.Listen = &url.URL{Host: "127.0.0.1:0", User: url.UserPassword(*user, *pass)}
	cert, err := labCertificate()
	if err != nil {
		log.Fatalf("creating the TLS certificate: %v", err)
	}
	model.Service.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	mux := http.NewServeMux()
	model.Service.ServeMux = mux
	mux.HandleFunc("/lab/clock", func(w http.ResponseWriter, r *http.Request) {
		if s := r.URL.Query().Get("advance"); s != "" {
			sec, err := strconv.ParseFloat(s, 64)
			if err != nil {
				http.Error(w, "advance: seconds expected", 400)
				return
			}
			atomic.AddInt64(&clockOffsetNs, int64(sec*1e9))
		}
		writeJSON(w, map[string]interface{}{"now": simNow().UnixNano() / 1e6})
	})
	mux.HandleFunc("/lab/delay", func(w http.ResponseWriter, r *http.Request) {
		ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
		if err != nil {
			http.Error(w, "ms: integer expected", 400)
			return
		}
		model.DelayConfig.Delay = ms
		writeJSON(w, map[string]int{"delayMs": ms})
	})
	mux.HandleFunc("/lab/stats", func(w http.ResponseWriter, r *http.Request) {
		callsMu.Lock()
		defer callsMu.Unlock()
		if r.URL.Query().Get("reset") != "" {
			calls = map[string]int{}
			perfMaxEntity, perfMaxIds, perfMaxFlight = 0, 0, 0
		}
		writeJSON(w, map[string]interface{}{"calls": calls, "queryPerfMaxEntities": perfMaxEntity, "queryPerfMaxMetricIds": perfMaxIds, "queryPerfMaxInFlight": perfMaxFlight})
	})

	server := model.Service.NewServer()
	defer server.Close()
	// Count SOAP methods by name (the request body is read once and handed on).
	sdk := server.Config.Handler
	server.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/sdk") {
			b, _ := ioutil.ReadAll(r.Body)
			m := methodRe.FindSubmatch(b)
			if m != nil && string(m[1]) != "QueryPerf" {
				countCall(string(m[1]))
			}
			if m != nil && string(m[1]) == "QueryPerf" {
				// Requests in flight at once, seen at the HTTP layer (the simulator serialises
				// calls on one managed object behind a lock, so it must be counted here).
				callsMu.Lock()
				perfInFlight++
				if perfInFlight > perfMaxFlight {
					perfMaxFlight = perfInFlight
				}
				callsMu.Unlock()
				defer func() {
					callsMu.Lock()
					perfInFlight--
					callsMu.Unlock()
				}()
			}
			r.Body = ioutil.NopCloser(bytes.NewReader(b))
			if m != nil && string(m[1]) == "CurrentTime" {
				// The ServiceInstance cannot be wrapped (the registry type-asserts it), so the
				// simulated clock is put into its CurrentTime answer here.
				rec := httptest.NewRecorder()
				sdk.ServeHTTP(rec, r)
				out := rec.Body.Bytes()
				if rec.Code == http.StatusOK {
					out = returnvalRe.ReplaceAll(out, []byte("${1}"+simNow().UTC().Format(time.RFC3339Nano)+"${2}"))
				}
				for k, v := range rec.Header() {
					w.Header()[k] = v
				}
				w.Header().Del("Content-Length")
				w.WriteHeader(rec.Code)
				_, _ = w.Write(out)
				return
			}
		}
		sdk.ServeHTTP(w, r)
	})

	sum := sha256.Sum256(server.Certificate().Raw)
	var hexParts []string
	for _, b := range sum {
		hexParts = append(hexParts, fmt.Sprintf("%02X", b))
	}
	certFile, err := server.CertificateFile()
	if err != nil {
		log.Fatalf("writing the certificate file: %v", err)
	}
	u := *server.URL
	u.User = nil
	info := map[string]interface{}{
		"url": u.String(), "host": u.Hostname(), "port": mustAtoi(u.Port()),
		"username": *user, "password": *pass,
		"thumbprint": strings.Join(hexParts, ":"), "certFile": certFile,
		"datacenters": *dcs, "clusters": *dcs * *clusters, "hosts": *dcs * (*clusters**clusterHosts + *hosts),
		"vms": shaped.VMs, "templates": shaped.Templates, "poweredOff": shaped.PoweredOff,
	}
	line, _ := json.Marshal(info)
	fmt.Println(string(line))

	done := make(chan os.Signal, 1)
	signal.Notify(done, syscall.SIGINT, syscall.SIGTERM)
	if *stdinExit {
		go func() {
			_, _ = io.Copy(ioutil.Discard, os.Stdin)
			done <- syscall.SIGTERM
		}()
	}
	<-done
}

// labCertificate makes a fresh self-signed ECDSA P-256 certificate for 127.0.0.1/localhost
// (the simulator's built-in test certificate has a key too weak for today's OpenSSL defaults).
// A new key per start also means a new thumbprint, which the pinning tests rely on.
func labCertificate() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "vcsim-lab", Organization: []string{"assessment-collector lab"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(30 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

func writeCertificate(dir string) error {
	cert, err := labCertificate()
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalECPrivateKey(cert.PrivateKey.(*ecdsa.PrivateKey))
	if err != nil {
		return err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	if err := ioutil.WriteFile(filepath.Join(dir, "cert.pem"), certPEM, 0o644); err != nil {
		return err
	}
	return ioutil.WriteFile(filepath.Join(dir, "key.pem"), keyPEM, 0o600)
}

func mustAtoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func writeJSON(w http.ResponseWriter, v interface{}) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
